/**
 * A real redis-server for the fleet tests, started by the test itself: a free port on 127.0.0.1,
 * a temporary directory, no persistence. It can be killed, frozen (SIGSTOP) and restarted on the
 * same port to test what the gateway does when Redis goes away.
 *
 * No redis-server on the machine is a test failure that says how to install it, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { eventually } from '../support/timeBudget.js';

export const REDIS_SERVER_ENV = 'REDIS_SERVER';

/** Where redis-server is looked for after $REDIS_SERVER and PATH. */
const USUAL_PLACES = ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'];

/**
 * The redis-server binary: $REDIS_SERVER when set (and then only that), else the first on PATH or
 * in the usual places. Throws, saying how to install it, when there is none.
 */
export function findRedisServer(env: Record<string, string | undefined> = process.env, usualPlaces: readonly string[] = USUAL_PLACES): string {
  const explicit = env[REDIS_SERVER_ENV];
  const candidates = explicit
    ? [explicit]
    : [...(env['PATH'] ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'redis-server')), ...usualPlaces];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  throw new Error(
    `redis-server not found (${explicit ? `${REDIS_SERVER_ENV}=${explicit} is not executable` : 'not on PATH nor in ' + usualPlaces.join(', ')}): ` +
      'the gateway fleet tests start a real Redis. Install it (Debian/Ubuntu: `apt-get install -y redis-server`; macOS: `brew install redis`) ' +
      `or set ${REDIS_SERVER_ENV} to the binary. .ci/run installs it when it runs as root.`,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether a Redis answers PING on the port right now. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /** SIGKILL: gone at once, connections reset. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open, nothing is answered meanwhile. */
  freeze(): void;
  thaw(): void;
  /** A fresh, empty redis-server on the same port (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  const binary = findRedisServer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'aicc-redis-'));
  let child: ChildProcess | undefined;

  async function launch(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
    const spawned = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    spawned.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child = spawned;
    const exited = new Promise<never>((_, reject) => spawned.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${stderr.trim()}`))));
    exited.catch(() => {});
    await Promise.race([eventually(async () => pings(port), { what: `redis-server on port ${port}`, intervalMs: 20 }), exited]);
  }

  async function end(signal: NodeJS.Signals): Promise<void> {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGCONT');
    current.kill(signal);
    await exited;
  }

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => end('SIGKILL'),
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    restart: launch,
    async stop() {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
