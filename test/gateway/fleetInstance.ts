/**
 * One gateway instance of a fleet, as a process of its own (so a test can SIGKILL it):
 * createGateway + createGatewayServer with a redisGatewayStore, behind the test's load balancer
 * (one trusted proxy hop). identify() trusts a `sid=<userId>` cookie. Log lines go to the test
 * over IPC; the first message is `{ type: 'listening', url }`.
 *
 *   argv[2]: JSON FleetInstanceConfig
 */
import type { AddressInfo } from 'node:net';
import { createGateway, createGatewayServer, redisGatewayStore, type GatewayOptions } from '../../src/gateway/index.js';

export interface FleetInstanceConfig {
  name: string;
  upstream: string;
  appKey: string;
  appSecret: string;
  channelId: string;
  redisUrl: string;
  keyPrefix: string;
  tokenSecret: string;
  longPollWindowMs: number;
  rateLimit?: GatewayOptions['rateLimit'];
}

export type FleetInstanceMessage = { type: 'listening'; url: string } | { type: 'log'; entry: import('../../src/gateway/index.js').GatewayLogEntry };

const config = JSON.parse(process.argv[2] ?? '{}') as FleetInstanceConfig;
const store = redisGatewayStore({ url: config.redisUrl, keyPrefix: config.keyPrefix });
await store.ready().catch(() => {
  // Serves anyway: the gateway counts on its own until Redis answers (and logs it).
});
const gateway = createGateway({
  upstream: config.upstream,
  appKey: config.appKey,
  appSecret: config.appSecret,
  tokenSecret: config.tokenSecret,
  basePath: '/aicc',
  longPollWindowMs: config.longPollWindowMs,
  trustProxyHops: 1,
  store,
  ...(config.rateLimit !== undefined ? { rateLimit: config.rateLimit } : {}),
  identify: (req) => {
    const userId = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    return userId ? { userId, userName: `User ${userId}`, channelId: config.channelId, locale: 'en_US' } : null;
  },
  logger: (entry) => process.send?.({ type: 'log', entry } satisfies FleetInstanceMessage),
});
const server = createGatewayServer(gateway);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
process.send?.({ type: 'listening', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } satisfies FleetInstanceMessage);
process.on('disconnect', () => process.exit(0));
