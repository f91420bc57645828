/**
 * The node transport's agents side by side (issue #16): N long polls held open on one host
 * through ONE keep-alive agent (`requestsPerAgent: Infinity`, the transport before the pool) and
 * through the transport's default pool (at most 256 requests per agent). Node's agent takes a
 * socket out of its in-use list with indexOf on every request that ends, O(sockets in use); the
 * pool bounds that list. Each variant runs in its own process against a bare HTTP server of its
 * own (answers every poll after 4–6 s, so polls end in shuffled order, as real ones do), both at
 * the same time, so they share the machine's load. Figure: the client process's CPU per
 * completed poll in the measured window. No simulator, no client: only the transport.
 *
 *   node --import tsx bench/agent-pool.ts [--polls 10000] [--rounds 2] [--window-ms 30000]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { libraryModule, LIBRARY_SOURCE } from './lib/library.js';
import { QUICK, argValue, machineInfo, writeResult } from './lib/results.js';
import { nextFromParent, startWorker, toParent } from './lib/spawn.js';
import { cpuMs, sleep, spread } from './lib/stats.js';

const POLLS = Number(argValue('polls') ?? (QUICK ? 2000 : 10_000));
const ROUNDS = Number(argValue('rounds') ?? (QUICK ? 1 : 2));
const WINDOW_MS = Number(argValue('window-ms') ?? (QUICK ? 10_000 : 30_000));
const HOLD_MS = [4000, 6000] as const;
const VARIANTS = ['one agent', 'pool'] as const;
type Variant = (typeof VARIANTS)[number];

interface ClientResult {
  variant: Variant;
  polls: number;
  agents: number;
  completed: number;
  errors: number;
  errorCodes: Record<string, number>;
  cpuUsPerPoll: number;
  loopDelayP99Ms: number;
}

async function server(): Promise<void> {
  const body = '{"resultCode":"0","resultDesc":"ok","data":[]}';
  const http = createServer((_req, res) => {
    const hold = HOLD_MS[0] + Math.random() * (HOLD_MS[1] - HOLD_MS[0]);
    setTimeout(() => res.end(body), hold);
  });
  http.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await toParent({ type: 'port', port: (http.address() as AddressInfo).port });
}

async function client(variant: Variant, port: number): Promise<void> {
  const { nodeTransport } = (await import(libraryModule('src/client/transports/node.js').href)) as typeof import('../src/client/transports/node.js');
  const transport = nodeTransport(variant === 'one agent' ? { requestsPerAgent: Infinity } : {});
  const url = `http://127.0.0.1:${port}/poll`;
  let completed = 0;
  let errors = 0;
  const codes: Record<string, number> = {};
  let stopping = false;
  const loop = async (): Promise<void> => {
    while (!stopping) {
      try {
        await transport.request({ method: 'GET', url, headers: {}, timeoutMs: 60_000 });
        completed++;
      } catch (error) {
        errors++;
        const code = (error as { code?: string; reason?: string }).code ?? (error as { reason?: string }).reason ?? 'unknown';
        codes[code] = (codes[code] ?? 0) + 1;
        await sleep(100); // a failing loop must not spin (a refused connect fails at once)
      }
    }
  };
  const loops: Promise<void>[] = [];
  // Ramp: 500 new polls every 100 ms, so connecting is not measured as a burst.
  for (let i = 0; i < POLLS; i++) {
    loops.push(loop());
    if (i % 500 === 499) await sleep(100);
  }
  await sleep(HOLD_MS[1] + 2000); // every poll answered once: the pool's agents and sockets all made
  if (process.env.AGENT_POOL_DEBUG) console.log(`${variant}: ramp done, ${completed} completed, ${errors} errors ${JSON.stringify(codes)}, ${transport.httpAgents.length} agents`);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const c0 = cpuMs();
  const done0 = completed;
  await sleep(WINDOW_MS);
  const cpu = cpuMs() - c0;
  const polls = completed - done0;
  delay.disable();
  stopping = true;
  await toParent({
    type: 'result',
    result: {
      variant,
      polls: POLLS,
      agents: transport.httpAgents.length,
      completed: polls,
      errors,
      errorCodes: codes,
      cpuUsPerPoll: (cpu * 1000) / Math.max(1, polls),
      loopDelayP99Ms: delay.percentile(99) / 1e6,
    } satisfies ClientResult,
  });
  transport.destroy();
  process.exit(0);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = machineInfo();
  const self = fileURLToPath(import.meta.url);
  const rounds: { round: number; loadAverage: number; results: ClientResult[] }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const loadAverage = os.loadavg()[0] ?? 0;
    const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
    const servers = order.map(() => startWorker(self, { args: ['--server'] }));
    const clients: ReturnType<typeof startWorker>[] = [];
    let results: ClientResult[];
    try {
      const ports = await Promise.all(servers.map((s) => s.next<{ port: number }>('port')));
      for (const [i, variant] of order.entries()) clients.push(startWorker(self, { args: ['--client', variant, String(ports[i]!.port), '--polls', String(POLLS), '--window-ms', String(WINDOW_MS)] }));
      results = await Promise.all(clients.map((c) => c.next<{ result: ClientResult }>('result', WINDOW_MS + 300_000).then((m) => m.result)));
    } finally {
      for (const child of [...servers, ...clients]) child.kill();
    }
    for (const r of results) console.log(`round ${round} (load ${loadAverage.toFixed(1)}): ${r.variant}: ${r.cpuUsPerPoll.toFixed(0)} µs CPU per poll, ${r.completed} polls in the window, ${r.agents} agent(s), loop p99 ${r.loopDelayP99Ms.toFixed(0)} ms, ${r.errors} errors ${JSON.stringify(r.errorCodes)}`);
    rounds.push({ round, loadAverage, results });
  }
  const of = (variant: Variant) => rounds.map((r) => r.results.find((x) => x.variant === variant)!);
  const ratio = rounds.map((r) => r.results.find((x) => x.variant === 'pool')!.cpuUsPerPoll / r.results.find((x) => x.variant === 'one agent')!.cpuUsPerPoll);
  const summary = {
    oneAgentUsPerPoll: spread(of('one agent').map((r) => r.cpuUsPerPoll)),
    poolUsPerPoll: spread(of('pool').map((r) => r.cpuUsPerPoll)),
    poolToOneAgent: spread(ratio),
  };
  console.log(`pool / one agent, CPU per poll: ${summary.poolToOneAgent.median.toFixed(2)} (${ratio.map((x) => x.toFixed(2)).join(', ')})`);
  writeResult('agent-pool', startedAt, { method: { polls: POLLS, rounds: ROUNDS, windowMs: WINDOW_MS, holdMs: HOLD_MS, library: LIBRARY_SOURCE }, rounds, summary }, machine);
}

const role = process.argv[2];
if (role === '--server') await server();
else if (role === '--client') await client(process.argv[3] as Variant, Number(process.argv[4]));
else await main();
