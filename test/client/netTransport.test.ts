/**
 * transport-net speaks HTTP/1.1 itself, so what node:http would handle for it is tested here
 * against a server that writes raw bytes: answers split anywhere, chunked bodies, interim
 * answers, connections closed or kept, malformed answers, TLS. The client suites
 * (client.test.ts, codes.test.ts, uploadProgress.test.ts) run against it like against every
 * transport, over the simulator.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransportError } from '../../src/client/http.js';
import { netTransport, type NetTransport } from '../../src/client/transports/net.js';
import { ok, useRawHttpServer, writePieces } from './rawHttpServer.js';
import { selfSignedCert } from '../gateway/h2Client.js';

let transport: NetTransport;
const raw = useRawHttpServer(() => transport);
const { scripts, received, sockets, request } = raw;

describe('transport-net: reading answers', () => {
  it('reads an answer split anywhere, head and body, byte by byte', async () => {
    transport = netTransport();
    const answer = ok('{"a":"ü"}', 'x-token: t1\r\n');
    scripts.set('/split', (socket) => writePieces(socket, [...Buffer.from(answer)].map((b) => Buffer.from([b]))));
    const res = await request('/split');
    expect(res).toEqual({ status: 200, headers: { 'content-length': '10', 'x-token': 't1' }, body: '{"a":"ü"}' });
  });

  it('reads a chunked body, with chunk extensions and trailers, in pieces', async () => {
    transport = netTransport();
    scripts.set('/chunked', (socket) =>
      writePieces(socket, ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', '4;ext=1\r\n{"a"', '\r\n', '3\r', '\n:1}\r\n', '0\r\nx-trailer: y\r\n', '\r\n']),
    );
    const res = await request('/chunked');
    expect(res.body).toBe('{"a":1}');
    expect(res.status).toBe(200);
    // The connection is reused: the answer ended where its framing said.
    scripts.set('/next', (socket) => void socket.write(ok('{}')));
    await request('/next');
    expect(sockets).toHaveLength(1);
  });

  it('skips an interim 100 Continue and reads the answer after it', async () => {
    transport = netTransport();
    scripts.set('/interim', (socket) => writePieces(socket, ['HTTP/1.1 100 Continue\r\n\r\n', ok('{"b":2}')]));
    expect((await request('/interim')).body).toBe('{"b":2}');
  });

  it('gives no body for 204 and 304, and keeps the connection', async () => {
    transport = netTransport();
    scripts.set('/none', (socket) => void socket.write('HTTP/1.1 204 No Content\r\n\r\n'));
    scripts.set('/same', (socket) => void socket.write('HTTP/1.1 304 Not Modified\r\n\r\n'));
    expect(await request('/none')).toMatchObject({ status: 204, body: '' });
    expect(await request('/same')).toMatchObject({ status: 304, body: '' });
    expect(sockets).toHaveLength(1);
  });

  it('reads an answer without a length until the connection closes, and does not reuse it', async () => {
    transport = netTransport();
    scripts.set('/eof', (socket) => writePieces(socket, ['HTTP/1.1 200 OK\r\n\r\n{"c"', ':3}']).then(() => void socket.end()));
    expect((await request('/eof')).body).toBe('{"c":3}');
    scripts.set('/next', (socket) => void socket.write(ok('{}')));
    await request('/next');
    expect(sockets).toHaveLength(2);
  });

  it('gives repeated headers as Node does: set-cookie as a list, others joined', async () => {
    transport = netTransport();
    scripts.set('/repeat', (socket) => void socket.write(ok('{}', 'Set-Cookie: a=1\r\nset-cookie: b=2\r\nX-Many: 1\r\nx-many: 2\r\n')));
    const res = await request('/repeat');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['x-many']).toBe('1, 2');
  });

  it('fails a malformed answer as a network error, and an endless head as a header overflow', async () => {
    transport = netTransport();
    scripts.set('/garbage', (socket) => void socket.write('HELLO\r\n\r\n'));
    scripts.set('/endless', (socket) => writePieces(socket, ['HTTP/1.1 200 OK\r\n', ...Array.from({ length: 70 }, () => `x-pad: ${'p'.repeat(1020)}\r\n`)]));
    scripts.set('/badchunk', (socket) => void socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'));
    // A chunk longer than its size line said: what follows its data is not the CRLF that ends it.
    scripts.set('/longchunk', (socket) => void socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{"a"}\r\n0\r\n\r\n'));
    scripts.set('/twolengths', (socket) => void socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}'));
    await expect(request('/garbage')).rejects.toMatchObject({ name: 'TransportError', reason: 'network', code: 'HPE_INVALID_RESPONSE' });
    await expect(request('/endless')).rejects.toMatchObject({ reason: 'network', code: 'HPE_HEADER_OVERFLOW' });
    await expect(request('/badchunk')).rejects.toMatchObject({ reason: 'network', code: 'HPE_INVALID_CHUNK_SIZE' });
    await expect(request('/longchunk')).rejects.toMatchObject({ reason: 'network', code: 'HPE_INVALID_CHUNK_SIZE' });
    await expect(request('/twolengths')).rejects.toMatchObject({ reason: 'network', code: 'HPE_INVALID_RESPONSE' });
  });

  it('fails an answer cut off mid-body as a network error (ECONNRESET)', async () => {
    transport = netTransport();
    scripts.set('/cut', (socket) => writePieces(socket, ['HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{"partial"']).then(() => void socket.end()));
    await expect(request('/cut')).rejects.toMatchObject({ reason: 'network', code: 'ECONNRESET' });
  });

  it('stops reading over maxResponseBytes, by Content-Length and while reading a chunked body', async () => {
    transport = netTransport();
    scripts.set('/big', (socket) => void socket.write(ok('x'.repeat(100))));
    scripts.set('/bigchunks', (socket) => writePieces(socket, ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', '40\r\n' + 'y'.repeat(64) + '\r\n', '40\r\n' + 'y'.repeat(64) + '\r\n']));
    await expect(request('/big', { maxResponseBytes: 99 })).rejects.toMatchObject({ reason: 'too-large' });
    await expect(request('/bigchunks', { maxResponseBytes: 100 })).rejects.toMatchObject({ reason: 'too-large' });
    expect((await request('/big', { maxResponseBytes: 100 })).body).toHaveLength(100);
  });
});

describe('transport-net: connections', () => {
  it('reuses one connection for requests one after the other, and opens one per request in flight', async () => {
    transport = netTransport();
    const held: Socket[] = [];
    scripts.set('/quick', (socket) => void socket.write(ok('{}')));
    scripts.set('/hold', (socket) => void held.push(socket));
    for (let i = 0; i < 3; i++) await request('/quick');
    expect(sockets).toHaveLength(1);
    const inFlight = [request('/hold'), request('/hold')];
    await expect.poll(() => held.length).toBe(2);
    expect(sockets).toHaveLength(2);
    expect(transport.connections()).toEqual([{ origin: raw.base, busy: 2, idle: 0 }]);
    for (const socket of held) socket.write(ok('{"held":1}'));
    expect((await Promise.all(inFlight)).map((r) => r.body)).toEqual(['{"held":1}', '{"held":1}']);
    expect(transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 2 }]);
  });

  it('sends the request line, host, accept, the headers and a body with its byte length', async () => {
    transport = netTransport();
    scripts.set('/post', (socket) => void socket.write(ok('{}')));
    await request('/post?x=1', { method: 'POST', headers: { 'content-type': 'application/json', 'x-token': 'abc' }, body: '{"t":"ü"}' });
    const port = new URL(raw.base).port;
    expect(received[0]).toBe(
      `POST /post?x=1 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\naccept: application/json, text/plain, */*\r\ncontent-type: application/json\r\nx-token: abc\r\ncontent-length: 10\r\n\r\n{"t":"ü"}`.replace('ü', Buffer.from('ü').toString('latin1')),
    );
  });

  it('does not reuse a connection whose answer came while an upload was still being written', async () => {
    transport = netTransport();
    const progress: number[] = [];
    // 16 MB, more than loopback's socket buffers hold while the server does not read.
    const body = 'u'.repeat(16 * 1024 * 1024);
    const early = await request('/early', { method: 'POST', body, onUploadProgress: (sent) => progress.push(sent) });
    expect(early.body).toBe('{"early":1}');
    expect(progress.at(-1)).toBeLessThan(body.length);
    scripts.set('/quick', (socket) => void socket.write(ok('{}')));
    expect((await request('/quick')).body).toBe('{}');
    expect(sockets).toHaveLength(2);
  });

  it('does not reuse a connection the answer said to close', async () => {
    transport = netTransport();
    scripts.set('/close', (socket) => void socket.write(ok('{}', 'connection: close\r\n')));
    await request('/close');
    await request('/close');
    expect(sockets).toHaveLength(2);
  });

  it('does not reuse a connection idle for longer than idleTimeoutMs, nor past the server\'s Keep-Alive hint', async () => {
    transport = netTransport({ idleTimeoutMs: 1 });
    scripts.set('/quick', (socket) => void socket.write(ok('{}')));
    await request('/quick');
    await new Promise((resolve) => setTimeout(resolve, 20)); // longer than the 1 ms limit, however late the timer fires
    await request('/quick');
    expect(sockets).toHaveLength(2);
    transport.destroy();
    // `Keep-Alive: timeout=1` means the server closes after 1 s: the transport keeps it for 0 s.
    transport = netTransport();
    scripts.set('/hint', (socket) => void socket.write(ok('{}', 'keep-alive: timeout=1\r\n')));
    await request('/hint');
    await request('/hint');
    expect(sockets).toHaveLength(4);
  });

  it('forgets an idle connection the server closed', async () => {
    transport = netTransport();
    scripts.set('/quick', (socket) => void socket.write(ok('{}')));
    await request('/quick');
    expect(transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 1 }]);
    sockets[0]!.end();
    await expect.poll(() => transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 0 }]);
    expect((await request('/quick')).status).toBe(200);
    expect(sockets).toHaveLength(2);
  });

  it('closes a connection that sent more than the answer, or anything while idle', async () => {
    transport = netTransport();
    scripts.set('/extra', (socket) => void socket.write(ok('{}') + 'HTTP/1.1 200 OK\r\n'));
    await request('/extra');
    await expect.poll(() => transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 0 }]);
    scripts.set('/quick', (socket) => void socket.write(ok('{}')));
    await request('/quick');
    sockets[1]!.write('unasked');
    await expect.poll(() => transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 0 }]);
  });

  it('refuses a header value with CR or LF, or a bad header name, and sends nothing', async () => {
    transport = netTransport();
    await expect(request('/x', { headers: { 'x-evil': 'a\r\nx-injected: 1' } })).rejects.toMatchObject({ reason: 'not-sent', code: 'ERR_INVALID_CHAR' });
    await expect(request('/x', { headers: { 'bad name': 'a' } })).rejects.toMatchObject({ reason: 'not-sent', code: 'ERR_INVALID_HTTP_TOKEN' });
    await expect(request('/x', { url: 'ftp://127.0.0.1/x' })).rejects.toMatchObject({ reason: 'not-sent' });
    expect(sockets).toHaveLength(0);
  });

  it('reports a refused connection as not sent', async () => {
    transport = netTransport();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const failure = await transport.request({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {}, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(isTransportError(failure) && [failure.reason, failure.code]).toEqual(['not-sent', 'ECONNREFUSED']);
  });

  it('ends on its deadline and on abort, closing the connection (a late answer is never read as another\'s)', async () => {
    transport = netTransport();
    scripts.set('/never', () => undefined);
    await expect(request('/never', { timeoutMs: 20 })).rejects.toMatchObject({ reason: 'timeout' });
    const controller = new AbortController();
    const aborted = request('/never', { signal: controller.signal });
    await expect.poll(() => received.length).toBe(2);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ reason: 'aborted' });
    await expect.poll(() => transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 0 }]);
  });

  it('does not keep a process alive with idle connections', async () => {
    // A script that makes one request and then has nothing left to do must exit on its own.
    const script = `
      import { netTransport } from ${JSON.stringify(fileURLToPath(new URL('../../src/client/transports/net.ts', import.meta.url)))};
      const res = await netTransport().request({ method: 'GET', url: ${JSON.stringify(raw.base + '/quick')}, headers: {}, timeoutMs: 10000 });
      console.log(res.status);
    `;
    scripts.set('/quick', (socket) => void socket.write(ok('{}')));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect([code, out.trim()]).toEqual([0, '200']);
    // The server still holds the connection: the client exited with it open and idle.
    expect(sockets).toHaveLength(1);
  });
});

describe('transport-net: https', () => {
  const { key, cert } = selfSignedCert();
  const tlsServer = createTlsServer({ key, cert }, raw.serve);
  let secureBase = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    secureBase = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => tlsServer.close(() => resolve())));

  it('talks TLS with the CA it is given, reuses the connection, and refuses an unknown certificate', async () => {
    transport = netTransport({ tls: { ca: cert } });
    scripts.set('/secure', (socket) => void socket.write(ok('{"tls":true}')));
    const get = (t: NetTransport) => t.request({ method: 'GET', url: `${secureBase}/secure`, headers: {}, timeoutMs: 10_000 });
    expect((await get(transport)).body).toBe('{"tls":true}');
    expect((await get(transport)).body).toBe('{"tls":true}');
    expect(sockets).toHaveLength(1);
    const untrusting = netTransport();
    const failure = await get(untrusting).catch((e: unknown) => e);
    untrusting.destroy();
    expect(isTransportError(failure) && failure.reason).toBe('network');
  });
});
