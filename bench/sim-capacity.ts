/**
 * Simulator capacity: what N chat sessions ask of the simulator, generated cheaply so the
 * simulator (not the client library) is what is measured. The simulator runs in its own process
 * (bench/lib/sim-child.ts, scenario agent-direct, 5000 ms long polls, request log trimmed every
 * second); this process plays N customers with bare node:http on one keep-alive agent:
 * tokenByAkSk once, applyToken + CONNECT per user, then one long poll at a time per user, a
 * customer CHAT every 15 s per user and a READ receipt for every agent message it receives. The
 * child injects one stamped agent message per user every 15 s (phases spread evenly).
 *
 * Per N: the simulator's CPU % and event-loop delay p99, poll-answer latency after an injection
 * (injected → poll answer parsed here) p50/p99, request rates and errors.
 *
 *   ulimit -n 20000; node --import tsx bench/sim-capacity.ts [--steps 1000,5000,10000]
 *     [--duration-ms 30000] [--cpu-prof <dir>] [--sim-flags "--trace-gc"] [--no-read]
 */
import http from 'node:http';
import { cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { API_PATHS } from '../src/client/protocol.js';
import { argValue } from './lib/results.js';
import type { ChildCommand, ChildReply, SimChildConfig, SimInfo, SimStats } from './lib/sim-protocol.js';
import { openFileLimit, spawnNode } from './lib/spawn.js';
import { cpuMs, latency, monoMs, sleep } from './lib/stats.js';

const STEPS = (argValue('steps') ?? '1000,5000,10000').split(',').map(Number);
const DURATION_MS = Number(argValue('duration-ms') ?? 30_000);
const CPU_PROF_DIR = argValue('cpu-prof');
/** Extra node flags for the simulator process, space-separated (e.g. "--trace-gc"). */
const SIM_FLAGS = (argValue('sim-flags') ?? '').split(' ').filter((f) => f !== '');
const READ_RECEIPTS = !process.argv.includes('--no-read');
const INTERVAL_MS = 15_000;
const LONG_POLL_MS = 5_000;
const RAMP_CONCURRENCY = 200;
const CHILD = fileURLToPath(new URL('./lib/sim-child.ts', import.meta.url));

type CommandBody = ChildCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

interface Child {
  info: SimInfo;
  call<T>(body: CommandBody): Promise<T>;
  close(): Promise<void>;
}

/** sim-child.ts with optional node flags (--cpu-prof), driven over its IPC protocol. */
function startChild(config: SimChildConfig): Promise<Child> {
  const nodeFlags = ['--max-old-space-size=4096', ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []), ...SIM_FLAGS];
  const child = spawnNode(CHILD, { args: [JSON.stringify(config)], nodeFlags });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolveStart, rejectStart) => {
    child.once('exit', (code) => {
      const error = new Error(`simulator process exited (${code})`);
      rejectStart(error);
      for (const w of waiting.values()) w.reject(error);
    });
    child.on('message', (raw) => {
      const reply = raw as ChildReply;
      if (reply.id === 0 && reply.ok) {
        resolveStart({ info: reply.value as SimInfo, call, close });
        return;
      }
      const w = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (reply.ok) w?.resolve(reply.value);
      else w?.reject(new Error(reply.error));
    });
  });
  function call<T>(body: CommandBody): Promise<T> {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...body, id });
    });
  }
  async function close(): Promise<void> {
    await call({ type: 'close' }).catch(() => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

interface Answer {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/** One keep-alive agent per step: one socket per user for its poll, a few more for sends. */
let agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 100_000 });

function request(base: URL, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: LONG_POLL_MS * 3,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown, headers: res.headers });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

interface Counters {
  polls: number;
  sends: number;
  reads: number;
  errors: number;
  received: number;
  latencies: number[];
  /** Injection times (s since the start) of messages that took over 100 ms: stalls show as clusters. */
  slowAt: number[];
  t0: number;
  measuring: boolean;
}

class User {
  private headers: Record<string, string>;
  private lastTimestamp = 0;
  stopped = false;

  constructor(
    private readonly base: URL,
    private readonly sim: SimInfo,
    gateway: Record<string, string>,
    readonly userId: string,
    private readonly counters: Counters,
  ) {
    this.headers = { ...gateway };
  }

  async start(): Promise<void> {
    const applied = await request(this.base, 'POST', API_PATHS.applyToken, this.headers, {
      userId: this.userId,
      userName: 'Bench',
      channelId: this.sim.channelId,
      locale: 'en_US',
    });
    const token = (applied.body as { token?: string }).token;
    if (!token) throw new Error(`applyToken ${applied.status} ${JSON.stringify(applied.body)}`);
    this.headers['ccmessaging-token'] = token;
    await this.send('CONNECT', '');
  }

  async send(controlType: 'CONNECT' | 'CHAT' | 'READ', content: string): Promise<void> {
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    const answer = await request(this.base, 'POST', API_PATHS.send, this.headers, {
      channel: 'WEB',
      controlType,
      from: this.userId,
      to: this.sim.channelId,
      mediaType: 'TEXT',
      sourceType: 'CUSTOMER',
      timestamp: String(this.lastTimestamp),
      content,
    });
    this.rotate(answer);
    if (answer.status !== 200 || (answer.body as { resultCode?: string }).resultCode !== '0') {
      throw new Error(`send ${controlType}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }

  /** One long poll at a time until stopped. */
  async pollLoop(): Promise<void> {
    const path = `${API_PATHS.poll}?receiverId=${encodeURIComponent(this.userId)}&channel=WEB`;
    while (!this.stopped) {
      try {
        const answer = await request(this.base, 'GET', path, this.headers);
        const now = monoMs();
        this.counters.polls += 1;
        this.rotate(answer);
        const messages = (answer.body as { downlinkMessages?: { controlType?: string; sourceType?: string; content?: string | null; messageCode?: string }[] })
          .downlinkMessages ?? [];
        const read: string[] = [];
        for (const m of messages) {
          if (m.sourceType !== 'AGENT' || m.controlType !== 'CHAT') continue;
          if (m.messageCode) read.push(m.messageCode);
          if (typeof m.content !== 'string' || !m.content.startsWith('lat:')) continue;
          this.counters.received += 1;
          if (!this.counters.measuring) continue;
          const injectedAt = Number(m.content.slice(4));
          this.counters.latencies.push(now - injectedAt);
          if (now - injectedAt > 100) this.counters.slowAt.push((injectedAt - this.counters.t0) / 1000);
        }
        if (READ_RECEIPTS && read.length > 0) {
          this.send('READ', JSON.stringify(read)).then(
            () => (this.counters.reads += 1),
            () => (this.counters.errors += 1),
          );
        }
      } catch {
        this.counters.errors += 1;
        await sleep(1000);
      }
    }
  }

  private rotate(answer: Answer): void {
    const rotated = answer.headers['ccmessaging-token'];
    if (typeof rotated === 'string') this.headers['ccmessaging-token'] = rotated;
  }
}

interface StepResult {
  n: number;
  rampMs: number;
  sim: { cpuPercent: number; loopDelayP99Ms: number; requestsPerSec: number; rssMB: number; heapMB: number; violations: number };
  generator: { cpuPercent: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
  pollLatency: ReturnType<typeof latency>;
  injected: { sent: number; failed: number };
  received: number;
  errors: number;
  rates: { pollsPerSec: number; sendsPerSec: number; readsPerSec: number };
  /** Messages over 100 ms, by the second of the run they were injected in. */
  slowBySecond: Record<string, number>;
}

async function step(n: number): Promise<StepResult> {
  const child = await startChild({ scenario: 'agent', timing: { longPollWindowMs: LONG_POLL_MS } });
  const base = new URL(child.info.url);
  const counters: Counters = { polls: 0, sends: 0, reads: 0, errors: 0, received: 0, latencies: [], slowAt: [], t0: 0, measuring: false };
  const users: User[] = [];
  try {
    const token = await request(base, 'POST', API_PATHS.tokenByAkSk, { 'x-token-expire': '3600' }, {
      app_key: child.info.credentials.appKey,
      app_secret: child.info.credentials.appSecret,
    });
    const access = (token.body as { AccessToken: string }).AccessToken;
    const gateway = { 'x-app-key': child.info.credentials.appKey, authorization: `Bearer ${access}` };

    const ramp0 = monoMs();
    let next = 0;
    const starter = async (): Promise<void> => {
      while (next < n) {
        const user = new User(base, child.info, gateway, `sc-${next++}`, counters);
        users.push(user);
        await user.start();
        void user.pollLoop();
      }
    };
    await Promise.all(Array.from({ length: RAMP_CONCURRENCY }, starter));
    const rampMs = monoMs() - ramp0;
    // Settle: the greeting batches are delivered and every user has a poll waiting.
    await sleep(2000);

    await child.call({ type: 'resetStats' });
    counters.polls = 0;
    counters.reads = 0;
    counters.errors = 0;
    counters.received = 0;
    counters.measuring = true;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const c0 = cpuMs();
    const t0 = monoMs();
    counters.t0 = t0;
    let sent = 0;
    const perMessageMs = INTERVAL_MS / n;
    const maxMessages = Math.floor(DURATION_MS / perMessageMs);
    const sender = setInterval(() => {
      const due = Math.min(maxMessages, Math.floor((monoMs() - t0) / perMessageMs));
      for (; sent < due; sent++) {
        const user = users[(sent + Math.floor(n / 2)) % n];
        user?.send('CHAT', `customer ${sent}`).then(
          () => (counters.sends += 1),
          () => (counters.errors += 1),
        );
      }
    }, 10);
    const injected = await child.call<{ sent: number; failed: number }>({ type: 'inject', prefix: 'sc-', count: n, intervalMs: INTERVAL_MS, durationMs: DURATION_MS });
    clearInterval(sender);
    await sleep(1000); // drain: the last answers arrive
    counters.measuring = false;
    const stats = await child.call<SimStats>({ type: 'stats' });
    const elapsed = (monoMs() - t0) / 1000;
    loop.disable();
    const requests = Object.values(stats.byApi).reduce((a, b) => a + b, 0);
    const result: StepResult = {
      n,
      rampMs,
      sim: {
        cpuPercent: (stats.cpuMs / stats.elapsedMs) * 100,
        loopDelayP99Ms: stats.loopDelayP99Ms,
        requestsPerSec: requests / (stats.elapsedMs / 1000),
        rssMB: stats.rssBytes / 2 ** 20,
        heapMB: stats.heapUsedBytes / 2 ** 20,
        violations: Object.values(stats.violations).reduce((a, b) => a + b, 0),
      },
      generator: { cpuPercent: ((cpuMs() - c0) / (elapsed * 1000)) * 100, loopDelayP99Ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6 },
      pollLatency: latency(counters.latencies),
      injected,
      received: counters.received,
      errors: counters.errors,
      slowBySecond: counters.slowAt.reduce<Record<string, number>>((acc, at) => {
        const second = Math.floor(at).toString();
        acc[second] = (acc[second] ?? 0) + 1;
        return acc;
      }, {}),
      rates: { pollsPerSec: counters.polls / elapsed, sendsPerSec: counters.sends / elapsed, readsPerSec: counters.reads / elapsed },
    };
    return result;
  } finally {
    for (const user of users) user.stopped = true;
    await child.close();
    agent.destroy();
    agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 100_000 });
  }
}

const fdLimit = openFileLimit();
console.log(`sim-capacity: ${cpus().length} cores, open-file limit ${fdLimit ?? 'unlimited'}, duration ${DURATION_MS} ms, READ receipts ${READ_RECEIPTS ? 'on' : 'off'}`);
for (const n of STEPS) {
  if (fdLimit !== null && n + 500 > fdLimit) {
    console.log(`N=${n}: skipped, open-file limit ${fdLimit} (run ulimit -n 20000 first)`);
    break;
  }
  const r = await step(n);
  const f = (v: number, d = 1): string => v.toFixed(d);
  console.log(
    `N=${n}: ramp ${f(r.rampMs / 1000)} s | sim cpu ${f(r.sim.cpuPercent, 0)}% loop p99 ${f(r.sim.loopDelayP99Ms)} ms ${f(r.sim.requestsPerSec, 0)} req/s rss ${f(r.sim.rssMB, 0)} MB heap ${f(r.sim.heapMB, 0)} MB violations ${r.sim.violations}` +
      ` | poll latency p50 ${f(r.pollLatency.p50)} p99 ${f(r.pollLatency.p99)} max ${f(r.pollLatency.max)} ms (n ${r.pollLatency.n})` +
      ` | injected ${r.injected.sent} (failed ${r.injected.failed}) received ${r.received} errors ${r.errors}` +
      ` | polls ${f(r.rates.pollsPerSec, 0)}/s sends ${f(r.rates.sendsPerSec, 0)}/s reads ${f(r.rates.readsPerSec, 0)}/s | generator cpu ${f(r.generator.cpuPercent, 0)}% loop p99 ${f(r.generator.loopDelayP99Ms)} max ${f(r.generator.loopDelayMaxMs, 0)} ms` +
      ` | sim cpu ${f((r.sim.cpuPercent * 10_000) / r.sim.requestsPerSec, 0)} µs/request | >100 ms by second ${JSON.stringify(r.slowBySecond)}`,
  );
}
