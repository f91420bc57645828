/**
 * A round-robin load balancer in front of a gateway fleet, like a cloud one: every request goes
 * to the next live backend; a backend that refuses a connection is marked dead (a passive health
 * check) and the request goes to the next live one (nothing was sent, so any request may); a
 * backend that dies mid-request answers 502. It appends the client's address to
 * X-Forwarded-For and records who served what.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Served {
  /** Index into `backends`; -1 when none could be reached. */
  backend: number;
  method: string;
  path: string;
  /** From the `sid` cookie (the fleet instances' identify). */
  userId: string | undefined;
  /** The backend's status; 502: the balancer's own (the backend failed); 499: the client went away first. */
  status: number;
  /** The backend's connection error, for a 502 of the balancer's own. */
  error?: string;
}

export interface Balancer {
  url: string;
  served: Served[];
  /** Requests a backend holds right now. */
  inFlight: Set<Omit<Served, 'status' | 'error'>>;
  close(): Promise<void>;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

export async function startBalancer(backends: readonly string[]): Promise<Balancer> {
  const served: Served[] = [];
  const inFlight = new Set<Omit<Served, 'status' | 'error'>>();
  let next = 0;
  const dead = new Set<number>();
  /** The next live backend in turn, or -1. */
  const pick = (): number => {
    for (let i = 0; i < backends.length; i++) {
      const index = next++ % backends.length;
      if (!dead.has(index)) return index;
    }
    return -1;
  };
  const server: Server = createServer(async (req, res) => {
    const body = await readAll(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const userId = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter((v) => typeof v === 'string' && v !== '').join(', ');
    const record = (backend: number, status: number, error?: string) =>
      served.push({ backend, method: req.method ?? '', path, userId, status, ...(error !== undefined ? { error } : {}) });

    let clientLeft = false;
    res.on('close', () => {
      clientLeft = !res.writableFinished;
    });
    const attempt = (): void => {
      const index = pick();
      if (index < 0) {
        record(-1, 502, 'no live backend');
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"errorCode":"502","exceptionInfo":"bad gateway"}');
        return;
      }
      const current = { backend: index, method: req.method ?? '', path, userId };
      inFlight.add(current);
      const upstream = request(backends[index] + (req.url ?? '/'), {
        method: req.method,
        headers: { ...req.headers, 'x-forwarded-for': forwardedFor },
        // A connection per request: a dead backend shows as a refused connection, never a stale socket.
        agent: false,
      });
      upstream.on('close', () => inFlight.delete(current));
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => record(index, answer.statusCode ?? 502));
        answer.on('aborted', () => res.destroy());
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        if (clientLeft) return record(index, 499);
        if (error.code === 'ECONNREFUSED') {
          dead.add(index);
          return attempt();
        }
        record(index, 502, error.code ?? error.message);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"errorCode":"502","exceptionInfo":"bad gateway"}');
        else res.destroy();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    };
    attempt();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
