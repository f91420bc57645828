/**
 * The gateway as a child process of a benchmark (bench/gateway-capacity.ts): `createGateway` +
 * `createGatewayServer` in front of the given upstream, identify() from an `x-user` header, the
 * per-address limits lifted (every benchmark client is 127.0.0.1). Answers memory (after a full
 * GC), CPU and event-loop figures over IPC. Imports the sources (src/), not dist/.
 *
 *   argv[2]: JSON { upstream, appKey, appSecret, longPollWindowMs }
 */
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createGateway, createGatewayServer } from '../../src/gateway/index.js';
import { cpuMs, fullGc, monoMs } from './stats.js';

interface Config {
  upstream: string;
  appKey: string;
  appSecret: string;
  channelId: string;
  longPollWindowMs: number;
}

export type GatewayChildCommand = { id: number; type: 'memory' } | { id: number; type: 'resetStats' } | { id: number; type: 'stats' } | { id: number; type: 'close' };

export interface GatewayChildStats {
  cpuMs: number;
  elapsedMs: number;
  loopDelayP99Ms: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const gateway = createGateway({
  upstream: config.upstream,
  appKey: config.appKey,
  appSecret: config.appSecret,
  tokenSecret: 'bench-token-secret-0123456789abcdef-0123456789',
  basePath: '/aicc',
  longPollWindowMs: config.longPollWindowMs,
  identify: (req) => {
    const userId = req.headers['x-user'];
    return typeof userId === 'string' ? { userId, userName: userId, channelId: config.channelId, locale: 'en_US' } : null;
  },
  limits: { pollsPerAddress: Infinity },
  rateLimit: { perAddress: 100_000_000, max: 100_000_000 },
});
const server = createGatewayServer(gateway);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
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
      const m = process.memoryUsage();
      return reply(command.id, { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
    }
    case 'resetStats':
      cpuAt = cpuMs();
      monoAt = monoMs();
      loop.reset();
      return reply(command.id, null);
    case 'stats': {
      const stats: GatewayChildStats = { cpuMs: cpuMs() - cpuAt, elapsedMs: monoMs() - monoAt, loopDelayP99Ms: loop.percentile(99) / 1e6 };
      return reply(command.id, stats);
    }
    case 'close':
      await gateway.close();
      server.closeAllConnections();
      server.close();
      reply(command.id, null);
      setTimeout(() => process.exit(0), 50);
  }
});

process.send?.({ id: 0, ok: true, value: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pid: process.pid } });
