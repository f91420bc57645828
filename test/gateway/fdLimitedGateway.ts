/**
 * A gateway in a process of its own whose open-file limit the test chose (fdLimit.test.ts runs
 * it under `ulimit -n`): createGateway + createGatewayServer (or, with `http2`,
 * createGatewayHttp2Server: h2c, as behind a balancer) in front of the given upstream,
 * identify() from an `x-user` header, the per-address limits lifted (every test client is
 * 127.0.0.1). The first IPC message is `{ type: 'listening', url }`; `{ type: 'fds' }` is
 * answered with the descriptors open now.
 *
 *   argv[2]: JSON FdLimitedGatewayConfig
 */
import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createGateway, createGatewayHttp2Server, createGatewayServer, type GatewayFront, type GatewayLimits } from '../../src/gateway/index.js';

export interface FdLimitedGatewayConfig {
  upstream: string;
  appKey: string;
  appSecret: string;
  channelId: string;
  tokenSecret: string;
  longPollWindowMs: number;
  limits: GatewayLimits;
  front?: GatewayFront;
  http2?: boolean;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FdLimitedGatewayConfig;
const gateway = createGateway({
  upstream: config.upstream,
  appKey: config.appKey,
  appSecret: config.appSecret,
  tokenSecret: config.tokenSecret,
  basePath: '/aicc',
  longPollWindowMs: config.longPollWindowMs,
  pollTimeoutMs: config.longPollWindowMs,
  limits: { pollsPerAddress: Infinity, inFlightPerAddress: Infinity, ...config.limits },
  rateLimit: false,
  ...(config.front ? { front: config.front } : {}),
  identify: (req) => {
    const userId = req.headers['x-user'];
    return typeof userId === 'string' ? { userId, userName: userId, channelId: config.channelId, locale: 'en_US' } : null;
  },
});
const server = config.http2 ? createGatewayHttp2Server(gateway, { connectionsPerAddress: Infinity }) : createGatewayServer(gateway, { connectionsPerAddress: Infinity });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
process.on('message', (message: { type?: string }) => {
  if (message.type === 'fds') process.send?.({ type: 'fds', count: readdirSync('/proc/self/fd').length });
});
process.send?.({ type: 'listening', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
process.on('disconnect', () => process.exit(0));
