/**
 * The flooding identities of bench/gateway-flood.ts, in a process of their own (so the honest
 * customer's measurements do not share an event loop with them). Each identity comes from an
 * address of its own (X-Forwarded-For behind the gateway's one trusted proxy hop): the per-address
 * limits do not help, as with a botnet.
 *
 *   → { type: 'ready' } once every identity has its token
 *   ← { type: 'start' }: each identity opens `burst` polls at once, then keeps one poll open
 *     (re-polls as soon as one is answered) and calls queryQueueInfo every `callIntervalMs`
 *   ← { type: 'stop' } → { type: 'stopped', statuses, requests, cpuPercent, loopDelayP99Ms }
 *
 *   argv[2]: JSON FloodConfig
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { API_PATHS } from '../../src/client/protocol.js';
import { httpRequest, inBatches } from './gateway-process.js';
import { nextFromParent, toParent } from './spawn.js';
import { cpuMs, monoMs, sleep } from './stats.js';

export interface FloodConfig {
  /** The gateway, with its basePath: http://127.0.0.1:PORT/aicc */
  base: string;
  channelId: string;
  identities: number;
  burst: number;
  callIntervalMs: number;
}

export interface FloodStopped {
  type: 'stopped';
  /** Answers by HTTP status, or the client-side error code. */
  statuses: Record<string, number>;
  requests: number;
  cpuPercent: number;
  loopDelayP99Ms: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FloodConfig;
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const statuses: Record<string, number> = {};
let requests = 0;
const count = (status: string): void => {
  requests += 1;
  statuses[status] = (statuses[status] ?? 0) + 1;
};
const controller = new AbortController();
setMaxListeners(0, controller.signal);
const call = (method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: object) =>
  httpRequest(agent, config.base + path, { method, headers: body ? { ...headers, 'content-type': 'application/json' } : headers, ...(body ? { body: JSON.stringify(body) } : {}) }, controller.signal).then(
    (answer) => {
      count(String(answer.status));
      return answer;
    },
    (error: { code?: string; name?: string }) => {
      if (error.name !== 'AbortError') count(error.code ?? 'error');
      return null;
    },
  );

const flooders = await inBatches(config.identities, 50, async (i) => {
  const userId = `flood${i}`;
  const headers: Record<string, string> = { 'x-user': userId, 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
  const answer = await call('POST', '/token', headers, {});
  const token = answer && (JSON.parse(answer.body) as { token?: string }).token;
  if (!token) throw new Error(`token for ${userId}: ${answer?.status ?? 'no answer'}`);
  return { userId, headers: { ...headers, 'ccmessaging-token': token } };
});
await toParent({ type: 'ready' });
await nextFromParent('start');

let flooding = true;
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpu0 = cpuMs();
const t0 = monoMs();
const loops = flooders.map(async (f, i) => {
  const poll = () => call('GET', `${API_PATHS.poll}?receiverId=${f.userId}&channel=WEB`, f.headers);
  await Promise.all(Array.from({ length: config.burst }, poll));
  await Promise.all([
    (async () => {
      while (flooding) await poll();
    })(),
    (async () => {
      await sleep((i * config.callIntervalMs) / config.identities);
      while (flooding) {
        await call('POST', API_PATHS.queryQueueInfo, f.headers, { userId: f.userId, channelConfigId: config.channelId, channel: 'WEB' });
        await sleep(config.callIntervalMs);
      }
    })(),
  ]);
});
await nextFromParent('stop');
flooding = false;
const cpuPercent = ((cpuMs() - cpu0) / (monoMs() - t0)) * 100;
controller.abort();
await Promise.all(loops);
agent.destroy();
const stopped: FloodStopped = { type: 'stopped', statuses, requests, cpuPercent, loopDelayP99Ms: loop.percentile(99) / 1e6 };
await toParent(stopped as unknown as { type: string } & Record<string, unknown>);
process.exit(0);
