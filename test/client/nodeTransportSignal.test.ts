/**
 * The Node transports (node, net) and a long-lived signal: a session passes the same AbortSignal with every
 * poll and call, so the transport listens to a signal once, however many of its requests are in
 * flight, and aborting it still ends every one of them. Real HTTP against a local server.
 */
import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransportError } from '../../src/client/http.js';
import { netTransport } from '../../src/client/transports/net.js';
import { nodeTransport } from '../../src/client/transports/node.js';

const held: ServerResponse[] = [];
const server = createServer((_req, res) => {
  if (_req.url === '/hold') held.push(res);
  else res.end('{}');
});
let base = '';
const transports = { node: nodeTransport(), net: netTransport() };

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  transports.node.destroy();
  transports.net.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** V8's collector, for checking what a finished request leaves reachable. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe.each(['node', 'net'] as const)('%s transport: one listener per signal', (name) => {
  const get = (path: string, signal: AbortSignal) => transports[name].request({ method: 'GET', url: base + path, headers: {}, body: undefined, timeoutMs: 10_000, signal });

  it('holds one abort listener for any number of requests under one signal, and the abort ends them all', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    for (let i = 0; i < 3; i++) await get('/quick', signal);
    const inFlight = Array.from({ length: 5 }, () => get('/hold', signal));
    await expect.poll(() => held.length).toBe(5);
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    controller.abort();
    const outcomes = await Promise.allSettled(inFlight);
    expect(outcomes.map((o) => o.status === 'rejected' && isTransportError(o.reason) && o.reason.reason)).toEqual(Array(5).fill('aborted'));
  });

  it('a request that ended is not stopped by a later abort of its signal', async () => {
    const controller = new AbortController();
    const answer = await get('/quick', controller.signal);
    controller.abort();
    expect(answer.status).toBe(200);
    await expect(get('/quick', controller.signal)).rejects.toMatchObject({ reason: 'aborted' });
  });

  it('the listener a signal keeps does not keep the first request under it (nor its answer)', async () => {
    const { signal } = new AbortController();
    // Only a WeakRef to the first answer leaves this function.
    const firstAnswer = async () => new WeakRef(await get('/quick', signal));
    const first = await firstAnswer();
    const heldBefore = held.length;
    const later = get('/hold', signal); // the signal's listener is still there
    later.catch(() => undefined); // awaited below; a failed check must not leave it unhandled
    await expect.poll(() => held.length).toBe(heldBefore + 1);
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    await expect
      .poll(() => {
        collectGarbage();
        return first.deref();
      })
      .toBeUndefined();
    held.pop()!.end('{}');
    expect((await later).status).toBe(200);
  });
});

