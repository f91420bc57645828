/**
 * CPU profile of one variant of the overhead script (bench/overhead.ts), for finding hot paths:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-overhead.ts machine|bare [sessions]
 * then `node bench/lib/top-functions.mjs /tmp/prof/<file>.cpuprofile`.
 */
import { cpuMs, monoMs } from './lib/stats.js';
import { startSimProcess } from './lib/sim-process.js';
import { bareGatewayHeaders, sharedAuth } from './lib/wiring.js';
import { bareConversation, machineConversation } from './overhead.js';

const kind = process.argv[2] === 'bare' ? 'bare' : 'machine';
const sessions = Number(process.argv[3] ?? 60);
const sim = await startSimProcess({ scenario: 'robot', timing: { robotReplyDelayMs: 0 }, keepRequests: false });
try {
  const auth = sharedAuth(sim);
  const gateway = await bareGatewayHeaders(sim);
  const wall0 = monoMs();
  const cpu0 = cpuMs();
  for (let s = 0; s < sessions; s++) {
    if (kind === 'machine') await machineConversation(sim, auth, `prof-${s}`);
    else await bareConversation(sim, gateway, `prof-${s}`);
  }
  console.log(`${kind}: ${sessions} sessions, ${((monoMs() - wall0) / sessions).toFixed(2)} ms wall, ${((cpuMs() - cpu0) / sessions).toFixed(2)} ms CPU per session`);
} finally {
  await sim.close();
}
