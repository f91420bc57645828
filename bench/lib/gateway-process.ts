/**
 * Parent side of gateway-child.ts (the gateway in a process of its own, driven over IPC), and the
 * bare node:http client the gateway benchmarks play their customers with.
 */
import http from 'node:http';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { fileURLToPath } from 'node:url';
import type { GatewayChildCommand, GatewayChildConfig } from './gateway-child.js';
import { spawnNode } from './spawn.js';

const CHILD = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));

export interface GatewayProcess {
  url: string;
  /** The gateway's poll pool (limits.pollSockets, its default when not configured). */
  pollSockets: number;
  call<T>(command: Omit<GatewayChildCommand, 'id'>): Promise<T>;
  close(): Promise<void>;
}

export function startGatewayProcess(config: GatewayChildConfig): Promise<GatewayProcess> {
  const child = spawnNode(CHILD, { args: [JSON.stringify(config)], nodeFlags: ['--expose-gc', '--max-old-space-size=4096'] });
  const waiting = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  return new Promise<GatewayProcess>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`gateway process exited (${code})`)));
    child.on('message', (raw) => {
      const reply = raw as { id: number; ok: boolean; value: unknown };
      if (reply.id === 0) {
        const { url, pollSockets } = reply.value as { url: string; pollSockets: string };
        const call = <T>(command: Omit<GatewayChildCommand, 'id'>): Promise<T> =>
          new Promise<T>((done) => {
            const id = nextId++;
            waiting.set(id, done as (value: unknown) => void);
            child.send({ ...command, id });
          });
        resolve({
          url,
          pollSockets: Number(pollSockets),
          call,
          close: async () => {
            const gone = new Promise<void>((done) => child.once('exit', () => done()));
            await call({ type: 'close' });
            await gone;
          },
        });
        return;
      }
      waiting.get(reply.id)?.(reply.value);
      waiting.delete(reply.id);
    });
  });
}

export interface Answer {
  status: number;
  body: string;
}

export function httpRequest(agent: http.Agent, url: string, options: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method, headers: options.headers, agent, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An h2c connection to `origin` (a balancer's to its backend); resolves once it is up. */
export function h2Connection(origin: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // The peer's streams limit applies; the session's own memory cap is raised like the gateway's.
    const session = connect(origin, { maxSessionMemory: 64 });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** httpRequest as a stream of `session`; an abort resets the stream (RST_STREAM CANCEL), as a balancer forwards a client's leaving. */
export function h2Request(session: ClientHttp2Session, url: string, options: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { pathname, search } = new URL(url);
    const stream = session.request({ ':method': options.method, ':path': pathname + search, ...options.headers }, { endStream: options.body === undefined });
    let status = 0;
    const chunks: Buffer[] = [];
    const onAbort = (): void => {
      stream.close(constants.NGHTTP2_CANCEL);
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('response', (headers) => (status = Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0)));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
    });
    stream.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    if (options.body !== undefined) stream.end(options.body);
  });
}

/** Runs task(0..count-1), `concurrency` at a time. */
export async function inBatches<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

