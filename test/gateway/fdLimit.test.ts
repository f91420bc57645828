/**
 * Open polls and the process's open-file limit (issue 17.1). An open poll holds two descriptors
 * in the gateway (the browser's connection, the upstream socket). With the poll pool unbounded,
 * polls used up every descriptor the process may open: the bench at 10,000 polls under a limit
 * of 20,000 saw every other customer's call fail (connections reset: the server could not accept
 * them). The poll pool's default size now leaves room for the API pool and its callers: further
 * polls wait in the gateway for a socket, and other calls are still answered.
 *
 * The gateway runs in a process of its own under `ulimit -n 1200`, with the simulator upstream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPollSockets } from '../../src/gateway/upstream.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { eventually, OUTLASTS_ANY_TEST_MS, sleep } from '../support/timeBudget.js';
import { BASE_PATH, TOKEN_SECRET } from './helpers.js';
import { open, P, pollPath, send, tokenOf, type Held } from './stubRig.js';
import { h2, h2Answer, h2Connect, h2Open } from './h2Client.js';
import type { FdLimitedGatewayConfig } from './fdLimitedGateway.js';

const FD_LIMIT = 1200;
const API_SOCKETS = 64;
/** More polls than the descriptors allow at two each. */
const POLLS = 610;
const CALLERS = 10;
const CHILD = fileURLToPath(new URL('./fdLimitedGateway.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A gateway process under `ulimit -n FD_LIMIT` in front of `sim` (fdLimitedGateway.ts); its origin once it listens. */
async function startLimitedGateway(sim: Simulator, extra: Partial<FdLimitedGatewayConfig> = {}): Promise<{ child: ChildProcess; origin: string }> {
  const config: FdLimitedGatewayConfig = {
    upstream: sim.url,
    ...sim.credentials,
    channelId: sim.channelId,
    tokenSecret: TOKEN_SECRET,
    longPollWindowMs: OUTLASTS_ANY_TEST_MS,
    limits: { upstreamSockets: API_SOCKETS },
    ...extra,
  };
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$@"`, 'sh', process.execPath, '--import', 'tsx', CHILD, JSON.stringify(config)], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway process exited (${code})`)));
    child.on('message', (m: { type: string; url?: string }) => {
      if (m.type === 'listening' && m.url) resolve(m.url);
    });
  });
  return { child, origin };
}

async function stopGateway(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

describe(`a gateway under ulimit -n ${FD_LIMIT} with ${POLLS} polls open (issue 17.1)`, () => {
  let sim: Simulator;
  let child: ChildProcess;
  let origin: string;
  const polls: Held[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } });
    ({ child, origin } = await startLimitedGateway(sim));
  });

  afterAll(async () => {
    for (const p of polls) p.abort();
    await stopGateway(child);
    await sim?.close();
  });

  const login = async (userId: string): Promise<Record<string, string>> => ({ 'x-user': userId, 'ccmessaging-token': await tokenOf(origin, '', { 'x-user': userId }) });
  const pendingUpstream = () => sim.requestsFor('poll').filter((r) => r.status === 0).length;

  it('fills the poll pool to what the descriptors allow, keeps further polls waiting and answers other calls', async () => {
    const pool = defaultPollSockets(FD_LIMIT, API_SOCKETS);
    expect(2 * POLLS).toBeGreaterThan(FD_LIMIT);
    expect(pool).toBeLessThan(POLLS);

    const callers: Record<string, string>[] = [];
    for (let i = 0; i < CALLERS; i++) callers.push(await login(`c${i}`));
    for (let i = 0; i < POLLS; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, POLLS - i) }, (_, k) => login(`p${i + k}`).then((headers) => ({ id: `p${i + k}`, headers }))));
      for (const { id, headers } of batch) polls.push(open(origin, { method: 'GET', path: pollPath(id), headers }));
    }
    await eventually(() => pendingUpstream() + polls.filter((p) => p.settled).length >= Math.min(pool, POLLS), { what: 'the poll pool full' });
    // Whatever else was going to reach upstream or fail has had its chance.
    await sleep(500);

    // Other customers' calls, each on a connection of its own, are answered.
    const answers = await Promise.all(
      callers.map((headers) =>
        send(origin, { path: P('queryQueueInfo'), headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ userId: headers['x-user'], channelConfigId: sim.channelId, channel: 'WEB' }) }).catch(() => null),
      ),
    );
    expect(answers.map((a) => a?.status ?? 'no answer')).toEqual(Array(CALLERS).fill(200));
    // No poll failed: the pool's worth is upstream, the rest waits in the gateway for a socket.
    expect(polls.filter((p) => p.settled)).toEqual([]);
    expect(pendingUpstream()).toBe(pool);

    // When polls end, waiting ones take their sockets.
    const before = sim.requestsFor('poll').length;
    for (const p of polls.slice(0, 20)) p.abort();
    await eventually(() => sim.requestsFor('poll').length >= before + 20, { what: '20 waiting polls upstream' });
    await eventually(() => pendingUpstream() === pool, { what: 'the pool full again' });
    expect(polls.slice(20).filter((p) => p.settled)).toEqual([]);
  });
});

/**
 * The same limit behind a balancer that speaks HTTP/2 (`front: 'multiplexed'`,
 * createGatewayHttp2Server): the customers come as streams of one connection, an open poll holds
 * one descriptor (its upstream socket), and the default pool counts one per poll — so every poll
 * the old default (two per poll) kept waiting is upstream.
 */
describe(`a gateway behind an HTTP/2 balancer under ulimit -n ${FD_LIMIT} with ${POLLS} polls open (front: 'multiplexed')`, () => {
  let sim: Simulator;
  let child: ChildProcess;
  let origin: string;

  beforeAll(async () => {
    sim = await startSimulator({ timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } });
    ({ child, origin } = await startLimitedGateway(sim, { front: 'multiplexed', http2: true }));
  });

  afterAll(async () => {
    await stopGateway(child);
    await sim?.close();
  });

  it('holds every poll upstream, where two descriptors a poll would have kept some waiting, and answers other calls', async () => {
    expect(defaultPollSockets(FD_LIMIT, API_SOCKETS, 2)).toBeLessThan(POLLS);
    expect(defaultPollSockets(FD_LIMIT, API_SOCKETS, 1)).toBeGreaterThanOrEqual(POLLS);
    const balancer = await h2Connect(origin);
    try {
      const tokenOver = async (userId: string): Promise<Record<string, string>> => {
        const answer = await h2(balancer, { path: `${BASE_PATH}/token`, headers: { 'x-user': userId, 'content-type': 'application/json' }, body: '{}' });
        const token = (JSON.parse(answer.body) as { token?: string }).token;
        if (answer.status !== 200 || !token) throw new Error(`token: HTTP ${answer.status} ${answer.body}`);
        return { 'x-user': userId, 'ccmessaging-token': token };
      };
      const streams = [];
      for (let i = 0; i < POLLS; i += 20) {
        const batch = await Promise.all(Array.from({ length: Math.min(20, POLLS - i) }, (_, k) => tokenOver(`m${i + k}`)));
        for (const headers of batch) streams.push(h2Open(balancer, { method: 'GET', path: pollPath(headers['x-user']!), headers }));
      }
      const pendingUpstream = () => sim.requestsFor('poll').filter((r) => r.status === 0).length;
      await eventually(() => pendingUpstream() === POLLS, { what: `all ${POLLS} polls upstream` });

      const caller = await tokenOver('caller');
      const answer = await h2Answer(
        h2Open(balancer, { path: P('queryQueueInfo'), headers: { ...caller, 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'caller', channelConfigId: sim.channelId, channel: 'WEB' }) }),
      );
      expect(answer.status).toBe(200);
      for (const stream of streams) stream.close();
    } finally {
      balancer.destroy();
    }
  });
});

