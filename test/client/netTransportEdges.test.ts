/**
 * Edge cases of transport-net checked in the review (s11/netreview) and found right, kept as
 * regression tests: parsing corners, connection bookkeeping after each way an exchange ends,
 * and failures that must settle (DNS, TLS that never answers).
 */
import { createServer as createPlainServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { netTransport, type NetTransport } from '../../src/client/transports/net.js';
import { ok, useRawHttpServer, writePieces } from './rawHttpServer.js';

let transport: NetTransport;
const raw = useRawHttpServer(() => transport);
const { scripts, received, sockets, closedSockets, request } = raw;

const bytes = (text: string) => [...Buffer.from(text)].map((b) => Buffer.from([b]));
const idleOnly = () => [{ origin: raw.base, busy: 0, idle: 1 }];

describe('transport-net edges: parsing', () => {
  it('reads a chunked answer split at every byte, then reuses the connection', async () => {
    transport = netTransport();
    const answer = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{"a\r\nC;x="y"\r\n":"0123456"}\r\n0\r\n\r\n';
    scripts.set('/c', (socket) => writePieces(socket, bytes(answer)));
    expect((await request('/c')).body).toBe('{"a":"0123456"}');
    expect(transport.connections()).toEqual(idleOnly());
    scripts.set('/q', (socket) => void socket.write(ok('{}')));
    await request('/q');
    expect(sockets).toHaveLength(1);
  });

  it('reads a 0-length chunked body, a status line without reason, a value with colons, interim answers in one write', async () => {
    transport = netTransport();
    scripts.set('/z', (socket) => void socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'));
    scripts.set('/noreason', (socket) => void socket.write('HTTP/1.1 201\r\nx-url: http://a:1/b\r\ncontent-length: 2\r\n\r\n{}'));
    scripts.set('/interim', (socket) => void socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n' + ok('{"f":1}')));
    expect(await request('/z')).toMatchObject({ status: 200, body: '' });
    expect(await request('/noreason')).toMatchObject({ status: 201, body: '{}', headers: { 'x-url': 'http://a:1/b' } });
    const interim = await request('/interim');
    expect(interim).toMatchObject({ status: 200, body: '{"f":1}' });
    expect(interim.headers.link).toBeUndefined();
    expect(sockets).toHaveLength(1);
  });

  it('takes a body of exactly maxResponseBytes by every framing', async () => {
    transport = netTransport();
    const body = 'x'.repeat(100);
    scripts.set('/len', (socket) => void socket.write(ok(body)));
    scripts.set('/chunks', (socket) => void socket.write(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n32\r\n${body.slice(50)}\r\n32\r\n${body.slice(50)}\r\n0\r\n\r\n`));
    scripts.set('/eof', (socket) => void socket.end(`HTTP/1.1 200 OK\r\n\r\n${body}`));
    for (const path of ['/len', '/chunks', '/eof']) expect((await request(path, { maxResponseBytes: 100 })).body).toBe(body);
    await expect(request('/eof', { maxResponseBytes: 99 })).rejects.toMatchObject({ reason: 'too-large' });
  });

  it('rejects a folded header line, as node:http does', async () => {
    transport = netTransport();
    scripts.set('/fold', (socket) => void socket.write('HTTP/1.1 200 OK\r\nx-a: 1\r\n  more\r\ncontent-length: 2\r\n\r\n{}'));
    await expect(request('/fold')).rejects.toMatchObject({ reason: 'network', code: 'HPE_INVALID_RESPONSE' });
  });
});

describe('transport-net edges: connections', () => {
  it('keeps a Content-Length answer whose server then closes, and forgets the connection', async () => {
    transport = netTransport();
    scripts.set('/bye', (socket) => void socket.end(ok('{"bye":1}')));
    expect((await request('/bye')).body).toBe('{"bye":1}');
    await expect.poll(() => transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 0 }]);
  });

  it('leaves no connection behind after a timeout, an abort, a too-large answer or a malformed one', async () => {
    transport = netTransport();
    scripts.set('/never', () => undefined);
    scripts.set('/big', (socket) => void socket.write(ok('x'.repeat(10))));
    scripts.set('/bad', (socket) => void socket.write('HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n'));
    const controller = new AbortController();
    const ended = Promise.allSettled([
      request('/never', { timeoutMs: 30 }),
      request('/never', { signal: controller.signal }),
      request('/big', { maxResponseBytes: 5 }),
      request('/bad'),
    ]);
    await expect.poll(() => received.length).toBe(4);
    controller.abort();
    expect((await ended).map((r) => r.status === 'rejected' && (r.reason as { reason: string }).reason)).toEqual(['timeout', 'aborted', 'too-large', 'network']);
    await expect.poll(() => transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 0 }]);
    await expect.poll(() => closedSockets.size).toBe(4);
  });

  it('talks to an IPv6 literal with its brackets in Host', async () => {
    const v6 = createPlainServer(raw.serve);
    const listening = await new Promise<boolean>((resolve) => {
      v6.once('error', () => resolve(false));
      v6.listen(0, '::1', () => resolve(true));
    });
    // No IPv6 loopback on this machine: nothing to check.
    if (!listening) return void expect(listening).toBe(false);
    try {
      transport = netTransport();
      const port = (v6.address() as AddressInfo).port;
      scripts.set('/six', (socket) => void socket.write(ok('{}')));
      await transport.request({ method: 'GET', url: `http://[::1]:${port}/six`, headers: {}, timeoutMs: 10_000 });
      expect(received[0]).toContain(`host: [::1]:${port}\r\n`);
    } finally {
      transport.destroy();
      for (const socket of sockets.splice(0)) socket.destroy();
      await new Promise<void>((resolve) => v6.close(() => resolve()));
    }
  });

  it('sends URL credentials as Basic, decoded first as Node does', async () => {
    transport = netTransport();
    scripts.set('/auth', (socket) => void socket.write(ok('{}')));
    const port = new URL(raw.base).port;
    await transport.request({ method: 'GET', url: `http://us%40er:p%3Ass@127.0.0.1:${port}/auth`, headers: {}, timeoutMs: 10_000 });
    expect(received[0]).toContain(`authorization: Basic ${Buffer.from('us@er:p:ss').toString('base64')}\r\n`);
  });
});

describe('transport-net edges: failures that must settle', () => {
  it('fails an answer cut off in each phase as ECONNRESET: head, after an interim answer, chunk size, chunk data, trailer', async () => {
    transport = netTransport();
    const cuts = {
      '/head': 'HTTP/1.1 200 OK\r\ncontent-len',
      '/interim': 'HTTP/1.1 100 Continue\r\n\r\n',
      '/size': 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1',
      '/data': 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{}',
      '/end': 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}',
      '/trailer': 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nx-t: 1\r\n',
    };
    for (const [path, answer] of Object.entries(cuts)) scripts.set(path, (socket) => void socket.end(answer));
    for (const path of Object.keys(cuts)) await expect(request(path), path).rejects.toMatchObject({ reason: 'network', code: 'ECONNRESET' });
    await expect.poll(() => transport.connections()).toEqual([{ origin: raw.base, busy: 0, idle: 0 }]);
  });

  it('settles a name that does not resolve as not sent', async () => {
    transport = netTransport();
    const failure = await transport.request({ method: 'GET', url: 'http://no-such-host.invalid/x', headers: {}, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'TransportError' });
    expect(['not-sent', 'timeout']).toContain((failure as { reason: string }).reason);
  });

  it('ends on its deadline when a TLS server accepts and never answers the handshake', async () => {
    transport = netTransport();
    const mute = createPlainServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    try {
      const port = (mute.address() as AddressInfo).port;
      await expect(transport.request({ method: 'GET', url: `https://127.0.0.1:${port}/`, headers: {}, timeoutMs: 50 })).rejects.toMatchObject({ reason: 'timeout' });
      await expect.poll(() => transport.connections().flatMap((o) => (o.busy + o.idle > 0 ? [o] : []))).toEqual([]);
    } finally {
      for (const socket of sockets.splice(0)) socket.destroy();
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });
});
