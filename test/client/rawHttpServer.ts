/**
 * A server that answers HTTP/1.1 with raw bytes, for transport-net's own tests
 * (netTransport*.test.ts): each test scripts what a path gets — answers split anywhere,
 * malformed, cut off, never sent — and reads what came in.
 *
 * `useRawHttpServer(() => transport)` registers the file's hooks: listen before all; after each
 * test destroy the test's transport, close every connection, forget scripts and requests; close
 * after all. `request(path)` is a GET of `base + path` through the test's transport; `serve` is
 * the connection handler, for a TLS server of a test's own.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { HttpRequest, HttpResponse } from '../../src/client/http.js';
import type { NetTransport } from '../../src/client/transports/net.js';

/** What the server does with a request for a path (query left out). */
export type Script = (socket: Socket, request: string) => void | Promise<void>;

export interface RawHttpServer {
  readonly scripts: Map<string, Script>;
  /** Requests as the server read them (head and body, latin1), in order. */
  readonly received: string[];
  /** Connections accepted, in order, and those closed since. */
  readonly sockets: Socket[];
  readonly closedSockets: Set<Socket>;
  /** `http://127.0.0.1:<port>`, once listening. */
  readonly base: string;
  serve(socket: Socket): void;
  /** A GET of `base + path` through the test's transport (`extra` overrides any field). */
  request(path: string, extra?: Partial<HttpRequest>): Promise<HttpResponse>;
}

/** A 200 answer with a Content-Length body. */
export const ok = (body: string, headers = ''): string => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;

/** Writes the pieces one by one, each in a later turn of the event loop (so each its own read, mostly). */
export async function writePieces(socket: Socket, pieces: (string | Buffer)[]): Promise<void> {
  for (const piece of pieces) {
    socket.write(piece);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function useRawHttpServer(transport: () => NetTransport | undefined): RawHttpServer {
  const scripts = new Map<string, Script>();
  const received: string[] = [];
  const sockets: Socket[] = [];
  const closedSockets = new Set<Socket>();

  function serve(socket: Socket): void {
    sockets.push(socket);
    socket.on('close', () => closedSockets.add(socket));
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        // Answered on its head alone, before its body came; the server then stops reading.
        if (buffered.startsWith('POST /early ')) {
          socket.pause();
          socket.write(ok('{"early":1}'));
          buffered = '';
          return;
        }
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const request = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(end + 4 + length);
        received.push(request);
        const path = request.split(' ')[1]!;
        const script = scripts.get(path.split('?')[0]!);
        if (script) void script(socket, request);
        else socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
      }
    });
    socket.on('error', () => undefined);
  }

  const server = createServer(serve);
  const harness = {
    scripts,
    received,
    sockets,
    closedSockets,
    base: '',
    serve,
    request: (path: string, extra: Partial<HttpRequest> = {}) => transport()!.request({ method: 'GET', url: harness.base + path, headers: {}, timeoutMs: 10_000, ...extra }),
  };
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    harness.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    transport()?.destroy();
    for (const socket of sockets.splice(0)) socket.destroy();
    closedSockets.clear();
    received.length = 0;
    scripts.clear();
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return harness;
}
