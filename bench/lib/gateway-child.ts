/**
 * The gateway as a child process of a benchmark (bench/gateway-capacity.ts, gateway-flood.ts):
 * `createGateway` + `createGatewayServer` in front of the given upstream, identify() from an
 * `x-user` header, the per-address and rate limits lifted (every benchmark client is 127.0.0.1)
 * unless `defaultLimits`; its store in memory (the default) or on Redis (`redisUrl`). Answers
 * memory (after a full GC), CPU, event-loop and descriptor figures over IPC. Imports the sources (src/), not dist/. Started by gateway-process.ts.
 *
 *   argv[2]: JSON GatewayChildConfig
 */
import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { createGateway, createGatewayHttp2Server, createGatewayServer, redisGatewayStore } from '../../src/gateway/index.js';
import { openFileLimit } from '../../src/gateway/openFiles.js';
import { DEFAULT_UPSTREAM_SOCKETS, defaultPollSockets } from '../../src/gateway/upstream.js';
import { cpuMs, fullGc, monoMs } from './stats.js';

export interface GatewayChildConfig {
  upstream: string;
  appKey: string;
  appSecret: string;
  channelId: string;
  longPollWindowMs: number;
  /** limits.pollSockets: a number or "Infinity" (IPC carries JSON); the gateway's default when absent. */
  pollSockets?: string;
  /**
   * Every default limit, behind one trusted proxy hop (the benchmark names each client's address
   * in X-Forwarded-For), instead of the per-address and rate limits lifted.
   */
  defaultLimits?: boolean;
  /**
   * The listen backlog (connections accepted by the kernel, not yet by Node); Node's default, 511,
   * when absent. A burst of connections beyond it is dropped at SYN and retried by the client's
   * kernel after 1 s, then 3 s: a delay every caller in the burst pays, honest or not.
   */
  backlog?: number;
  /**
   * What the customers (or the balancer in front of them) speak to the gateway: HTTP/1.1, one
   * connection each (default), or h2c, many customers' requests as streams of a few connections
   * (createGatewayHttp2Server).
   */
  front?: 'http1' | 'h2';
  /**
   * The gateway's store on this Redis (redisGatewayStore, as every instance of a fleet has it);
   * the default in-memory store when absent. The child listens once both connections are up.
   */
  redisUrl?: string;
  /** redisGatewayStore's keyPrefix (instances of one fleet share it). */
  keyPrefix?: string;
}

export type GatewayChildCommand = { id: number; type: 'memory' } | { id: number; type: 'resetStats' } | { id: number; type: 'stats' } | { id: number; type: 'close' };

export interface GatewayChildStats {
  cpuMs: number;
  elapsedMs: number;
  loopDelayP99Ms: number;
  /** File descriptors open in the gateway process now (sockets included). */
  openFds: number;
  /** Answers by status, and the gateway's error lines by text, since the last reset (from its log lines). */
  answers: Record<string, number>;
}

/** Open descriptors of this process (Linux /proc; -1 elsewhere). */
function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

let answers: Record<string, number> = {};
const config = JSON.parse(process.argv[2] ?? '{}') as GatewayChildConfig;
// The gateway's own default for its front (recorded with the results): behind h2 an open poll
// holds one descriptor, its upstream socket (`front: 'multiplexed'`).
const pollSockets =
  config.pollSockets !== undefined ? Number(config.pollSockets) : defaultPollSockets(openFileLimit(), DEFAULT_UPSTREAM_SOCKETS, config.front === 'h2' ? 1 : 2);
const store = config.redisUrl !== undefined ? redisGatewayStore({ url: config.redisUrl, ...(config.keyPrefix !== undefined ? { keyPrefix: config.keyPrefix } : {}) }) : undefined;
// Rejects after its timeout: the child exits, the bench fails (no figures for a store not in use).
await store?.ready();
const gateway = createGateway({
  upstream: config.upstream,
  ...(store ? { store } : {}),
  ...(config.front === 'h2' ? { front: 'multiplexed' as const } : {}),
  appKey: config.appKey,
  appSecret: config.appSecret,
  tokenSecret: 'bench-token-secret-0123456789abcdef-0123456789',
  basePath: '/aicc',
  longPollWindowMs: config.longPollWindowMs,
  identify: (req) => {
    const userId = req.headers['x-user'];
    return typeof userId === 'string' ? { userId, userName: userId, channelId: config.channelId, locale: 'en_US' } : null;
  },
  ...(config.defaultLimits
    ? { trustProxyHops: 1, limits: { pollSockets } }
    : {
        limits: { pollsPerAddress: Infinity, inFlightPerAddress: Infinity, uploadsPerAddress: Infinity, pollSockets },
        rateLimit: { perAddress: 100_000_000, max: 100_000_000 },
      }),
  logger: (entry) => {
    // Statuses, and the gateway's own error lines (an upstream network error by its code, e.g.
    // EMFILE: out of file descriptors; a failed AccessToken renewal).
    const key = entry.status !== undefined ? String(entry.status) : entry.level === 'error' ? entry.msg : undefined;
    if (key) answers[key] = (answers[key] ?? 0) + 1;
  },
});
// Every benchmark connection comes from 127.0.0.1: with the per-address limits lifted, so is the connection cap.
const connections = config.defaultLimits ? {} : { connectionsPerAddress: Infinity };
const server = config.front === 'h2' ? createGatewayHttp2Server(gateway, connections) : createGatewayServer(gateway, connections);
await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', ...(config.backlog ? { backlog: config.backlog } : {}) }, () => resolve()));
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpuAt = cpuMs();
let monoAt = monoMs();

const reply = (id: number, value: unknown): void => void process.send?.({ id, ok: true, value });

process.on('message', async (raw) => {
  const command = raw as GatewayChildCommand;
  switch (command.type) {
    case 'memory': {
      fullGc();
      try {
        const m = process.memoryUsage();
        return reply(command.id, { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
      } catch {
        // Out of descriptors (RSS is read from /proc): the heap figures need none.
        const heap = getHeapStatistics();
        return reply(command.id, { rss: Number.NaN, heapUsed: heap.used_heap_size, external: heap.external_memory, arrayBuffers: Number.NaN });
      }
    }
    case 'resetStats':
      cpuAt = cpuMs();
      monoAt = monoMs();
      loop.reset();
      answers = {};
      return reply(command.id, null);
    case 'stats': {
      const stats: GatewayChildStats = { cpuMs: cpuMs() - cpuAt, elapsedMs: monoMs() - monoAt, loopDelayP99Ms: loop.percentile(99) / 1e6, openFds: openFds(), answers };
      return reply(command.id, stats);
    }
    case 'close':
      await gateway.close();
      await store?.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close();
      reply(command.id, null);
      setTimeout(() => process.exit(0), 50);
  }
});

process.send?.({ id: 0, ok: true, value: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pid: process.pid, pollSockets: String(pollSockets) } });
