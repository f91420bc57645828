/**
 * Gateway instances for the fleet tests: in this process (sharing nothing but the Redis behind
 * their stores) or as processes of their own that a test can SIGKILL (fleetInstance.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createGateway, redisGatewayStore, type Gateway, type GatewayLogEntry, type GatewayOptions, type RedisGatewayStore } from '../../src/gateway/index.js';
import { budget } from '../support/timeBudget.js';
import type { FleetInstanceConfig, FleetInstanceMessage } from './fleetInstance.js';
import { BASE_PATH, TOKEN_SECRET } from './helpers.js';
import { CHANNEL_ID } from './stubRig.js';
import { closeServer } from '../support/localServer.js';

export interface Instance {
  name: string;
  /** http://127.0.0.1:PORT (the gateway under /aicc) */
  origin: string;
  logs: GatewayLogEntry[];
  close(): Promise<void>;
}

export interface LocalInstance extends Instance {
  gateway: Gateway;
  store: RedisGatewayStore;
  /** Why `store.ready()` rejected, when it did (only with `readyTimeoutMs`). */
  readyError?: Error;
}

/** How a local instance's Redis store is made and awaited. */
export interface LocalStoreSetup {
  onError?: (error: Error) => void;
  /**
   * Starts like docs/security.md's fleet example: `await store.ready(readyTimeoutMs)`, serving
   * anyway when it rejects (Redis not there yet). Without it, ready() must resolve.
   */
  readyTimeoutMs?: number;
}

/** A gateway in this process with its own Redis connections; identify() trusts `sid=<userId>`. */
export async function startLocalInstance(
  name: string,
  upstream: string,
  redisUrl: string,
  keyPrefix: string,
  overrides: Partial<GatewayOptions> = {},
  setup: LocalStoreSetup = {},
): Promise<LocalInstance> {
  const store = redisGatewayStore({ url: redisUrl, keyPrefix, ...(setup.onError ? { onError: setup.onError } : {}) });
  let readyError: Error | undefined;
  if (setup.readyTimeoutMs === undefined) await store.ready();
  else await store.ready(setup.readyTimeoutMs).catch((error: Error) => (readyError = error));
  const logs: GatewayLogEntry[] = [];
  const gateway = createGateway({
    upstream,
    appKey: 'stub-app-key-0123456789',
    appSecret: 'stub-app-secret-0123456789',
    tokenSecret: TOKEN_SECRET,
    basePath: BASE_PATH,
    trustProxyHops: 1,
    store,
    identify: (req) => {
      const userId = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      return userId ? { userId, userName: `User ${userId}`, channelId: CHANNEL_ID, locale: 'en_US' } : null;
    },
    logger: (entry) => logs.push(entry),
    ...overrides,
  });
  const server: Server = createServer((req, res) => void gateway.handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    name,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logs,
    gateway,
    store,
    ...(readyError ? { readyError } : {}),
    async close() {
      await gateway.close();
      await closeServer(server);
      await store.close();
    },
  };
}

export interface ProcessInstance extends Instance {
  child: ChildProcess;
  /** SIGKILL: no goodbye to Redis, the browser or upstream. */
  kill(): Promise<void>;
}

const INSTANCE_FILE = fileURLToPath(new URL('./fleetInstance.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function startProcessInstance(config: FleetInstanceConfig): Promise<ProcessInstance> {
  const child = spawn(process.execPath, ['--import', 'tsx', INSTANCE_FILE, JSON.stringify(config)], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const logs: GatewayLogEntry[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const origin = await new Promise<string>((resolve, reject) => {
    const hang = setTimeout(() => reject(new Error(`gateway ${config.name} did not start`)), budget(30_000));
    child.on('message', (raw) => {
      const message = raw as FleetInstanceMessage;
      if (message.type === 'log') logs.push(message.entry);
      else if (message.type === 'listening') {
        clearTimeout(hang);
        resolve(message.url);
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway ${config.name} exited (${code}) before listening`)));
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { name: config.name, origin, logs, child, kill, close: kill };
}
