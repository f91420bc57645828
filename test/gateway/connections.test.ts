/**
 * Open connections per peer address (issue 17.2, "caps per IP ... on open connections"):
 * createGatewayServer and createGatewayHttp2Server close a connection beyond
 * `connectionsPerAddress` at once. Without trusted proxies the default holds; behind them (or a
 * multiplexing front) every connection comes from the balancer, and the cap is off by default.
 * Over real TCP connections and h2c sessions.
 */
import type { Server } from 'node:http';
import { connect as h2ConnectRaw, type Http2Server } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayHttp2Server, createGatewayServer, DEFAULT_CONNECTIONS_PER_ADDRESS } from '../../src/gateway/index.js';
import { connectionsPerAddressFor } from '../../src/gateway/connections.js';
import { eventually, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';
import { h2, h2Connect, selfSignedCert } from './h2Client.js';
import { until } from './helpers.js';
import { startStubRig, type StubRig } from './stubRig.js';

let rig: StubRig<Server | Http2Server> | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await rig?.close();
  rig = undefined;
});

/** A raw TCP connection to `origin`; resolves once connected. */
interface Conn {
  socket: Socket;
  /** Everything received. */
  received(): string;
  readonly closed: boolean;
}

function connectRaw(origin: string): Promise<Conn> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let closed = false;
    socket.once('close', () => (closed = true));
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => received,
        get closed() {
          return closed;
        },
      }),
    );
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
}

/** An HTTP/1.1 request on an open connection: the answer's status line. */
async function ask(conn: Conn): Promise<string> {
  const start = conn.received().length;
  conn.socket.write('GET /nowhere HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
  await until(() => conn.received().slice(start).includes('\r\n\r\n') || conn.closed);
  return conn.received().slice(start).split('\r\n')[0] ?? '';
}

/** `n` raw connections, opened a batch at a time (the listen backlog stays small). */
async function connectMany(origin: string, n: number): Promise<Conn[]> {
  const out: Conn[] = [];
  while (out.length < n) out.push(...(await Promise.all(Array.from({ length: Math.min(128, n - out.length) }, () => connectRaw(origin)))));
  return out;
}

const connectionsOf = (server: { getConnections(cb: (error: Error | null, count: number) => void): unknown }) =>
  new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

describe('connections per peer address (createGatewayServer, createGatewayHttp2Server)', () => {
  const conns: Conn[] = [];
  afterEach(() => {
    for (const c of conns.splice(0)) c.socket.destroy();
  });
  /** Idle connections stay open for the whole test (no headers timeout checks). */
  const QUIET = { connectionsCheckingInterval: OUTLASTS_ANY_TEST_MS };

  it('HTTP/1.1: the N+1st connection from one address is closed at once, unanswered; the N are served; one closing frees its place', async () => {
    rig = await startStubRig({}, (gateway) => createGatewayServer(gateway, { ...QUIET, connectionsPerAddress: 3 }));
    const r = rig;
    conns.push(...(await connectMany(r.origin, 3)));
    await eventually(async () => (await connectionsOf(r.server)) === 3, { what: 'the server to count 3 connections' });

    const extra = await connectRaw(r.origin);
    conns.push(extra);
    await until(() => extra.closed);
    expect(extra.received()).toBe('');
    expect(r.logs.some((l) => l.level === 'warn' && l.msg.includes('connectionsPerAddress'))).toBe(true);
    for (const c of conns.slice(0, 3)) expect(await ask(c)).toBe('HTTP/1.1 404 Not Found');

    conns[0]!.socket.destroy();
    await eventually(async () => (await connectionsOf(r.server)) === 2, { what: 'the server to count 2 connections' });
    const next = await connectRaw(r.origin);
    conns.push(next);
    expect(await ask(next)).toBe('HTTP/1.1 404 Not Found');
    expect(next.closed).toBe(false);
  });

  it('HTTP/2 (h2c): the N+1st connection is closed at once; the N carry streams; one closing frees its place', async () => {
    rig = await startStubRig({}, (gateway) => createGatewayHttp2Server(gateway, { connectionsPerAddress: 2 }));
    const r = rig;
    const sessions = [await h2Connect(r.origin), await h2Connect(r.origin)];
    cleanups.push(() => sessions.forEach((s) => s.destroy()));
    await eventually(async () => (await connectionsOf(r.server)) === 2, { what: 'the server to count 2 connections' });

    const refused = h2ConnectRaw(r.origin);
    refused.on('error', () => {});
    cleanups.push(() => refused.destroy());
    await until(() => refused.closed || refused.destroyed);
    for (const s of sessions) expect((await h2(s, { method: 'GET', path: '/nowhere', headers: {} })).status).toBe(404);

    sessions[0]!.destroy();
    await eventually(async () => (await connectionsOf(r.server)) === 1, { what: 'the server to count 1 connection' });
    const next = await h2Connect(r.origin);
    sessions.push(next);
    expect((await h2(next, { method: 'GET', path: '/nowhere', headers: {} })).status).toBe(404);
    expect(next.closed || next.destroyed).toBe(false);
  });

  it('TLS (h2 and HTTP/1.1 by ALPN): the N+1st connection is closed before its handshake; one closing frees its place', async () => {
    const { key, cert } = selfSignedCert();
    rig = await startStubRig({}, (gateway) => createGatewayHttp2Server(gateway, { tls: { key, cert }, connectionsPerAddress: 1 }));
    const r = rig;
    const origin = r.origin.replace(/^http:/, 'https:');
    const first = await h2Connect(origin, { ca: cert });
    cleanups.push(() => first.destroy());
    expect((await h2(first, { method: 'GET', path: '/nowhere', headers: {} })).status).toBe(404);

    // A raw TCP connection: closed by the server with nothing sent (not even a TLS alert).
    const extra = await connectRaw(r.origin);
    conns.push(extra);
    extra.socket.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello
    await until(() => extra.closed);
    expect(extra.received()).toBe('');
    expect(r.logs.some((l) => l.level === 'warn' && l.msg.includes('connectionsPerAddress'))).toBe(true);
    expect((await h2(first, { method: 'GET', path: '/nowhere', headers: {} })).status).toBe(404);

    first.destroy();
    await eventually(async () => (await connectionsOf(r.server)) === 0, { what: 'the server to count no connection' });
    const next = await h2Connect(origin, { ca: cert });
    cleanups.push(() => next.destroy());
    expect((await h2(next, { method: 'GET', path: '/nowhere', headers: {} })).status).toBe(404);
  });

  it(`by default ${DEFAULT_CONNECTIONS_PER_ADDRESS} per address, and off when the gateway trusts proxies or is told its front is multiplexed`, async () => {
    const deployment = (trustProxyHops: number, front: 'connection-per-customer' | 'multiplexed' = 'connection-per-customer') => ({
      handler: async () => {},
      deployment: { trustProxyHops, front, log: () => {} },
    });
    expect(connectionsPerAddressFor(deployment(0), undefined)).toBe(DEFAULT_CONNECTIONS_PER_ADDRESS);
    expect(connectionsPerAddressFor(deployment(1), undefined)).toBe(Infinity);
    expect(connectionsPerAddressFor(deployment(0, 'multiplexed'), undefined)).toBe(Infinity);
    expect(connectionsPerAddressFor(deployment(1), 10)).toBe(10);
    // A handler of the host's own (not a gateway): the default.
    expect(connectionsPerAddressFor({ handler: async () => {} }, undefined)).toBe(DEFAULT_CONNECTIONS_PER_ADDRESS);
    expect(() => createGatewayServer({ handler: async () => {} }, { connectionsPerAddress: 0 })).toThrow(TypeError);
    expect(() => createGatewayHttp2Server({ handler: async () => {} }, { connectionsPerAddress: 1.5 })).toThrow(TypeError);

    // Without trusted proxies: the default holds.
    rig = await startStubRig({}, (gateway) => createGatewayServer(gateway, QUIET));
    const direct = rig;
    conns.push(...(await connectMany(direct.origin, DEFAULT_CONNECTIONS_PER_ADDRESS)));
    await eventually(async () => (await connectionsOf(direct.server)) === DEFAULT_CONNECTIONS_PER_ADDRESS, { what: 'the server to count every connection' });
    const over = await connectRaw(direct.origin);
    conns.push(over);
    await until(() => over.closed);
    expect(await ask(conns[DEFAULT_CONNECTIONS_PER_ADDRESS - 1]!)).toBe('HTTP/1.1 404 Not Found');
    for (const c of conns.splice(0)) c.socket.destroy();
    await rig.close();
    rig = undefined;

    // Behind a trusted proxy every connection comes from it: no cap.
    rig = await startStubRig({ trustProxyHops: 1 }, (gateway) => createGatewayServer(gateway, QUIET));
    const proxied = rig;
    conns.push(...(await connectMany(proxied.origin, DEFAULT_CONNECTIONS_PER_ADDRESS + 1)));
    await eventually(async () => (await connectionsOf(proxied.server)) === DEFAULT_CONNECTIONS_PER_ADDRESS + 1, { what: 'the server to count every connection' });
    expect(await ask(conns[DEFAULT_CONNECTIONS_PER_ADDRESS]!)).toBe('HTTP/1.1 404 Not Found');
  });
});
