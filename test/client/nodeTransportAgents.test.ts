/**
 * The node transport's agents: each of its own keep-alive agents carries at most
 * `requestsPerAgent` requests at once (Node's agent pays O(its sockets in use) whenever a request
 * ends), requests fill the first agent with room, and a socket limit or an agent of the caller's
 * keeps everything on one agent. Real HTTP against a local server that counts connections.
 */
import { Agent as HttpAgent, createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransportError } from '../../src/client/http.js';
import { nodeTransport, type NodeTransport } from '../../src/client/transports/node.js';

const held: ServerResponse[] = [];
let connections = 0;
const server = createServer((req, res) => {
  if (req.url === '/hold') held.push(res);
  else res.end('{}');
});
server.on('connection', () => (connections += 1));
let base = '';
const transports: NodeTransport[] = [];
const made = (options: Parameters<typeof nodeTransport>[0]) => {
  const transport = nodeTransport(options);
  transports.push(transport);
  return transport;
};

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const transport of transports) transport.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const get = (transport: NodeTransport, path: string, signal?: AbortSignal) =>
  transport.request({ method: 'GET', url: base + path, headers: {}, timeoutMs: 10_000, ...(signal ? { signal } : {}) });

/** Answers every held request and waits for the answers. */
async function answerHeld(requests: Promise<unknown>[]): Promise<void> {
  await expect.poll(() => held.length).toBe(requests.length);
  for (const res of held.splice(0)) res.end('{}');
  await Promise.all(requests);
}

/** Sockets each agent has lent out right now (Node keeps them per host). */
const inUse = (agent: HttpAgent): number => Object.values(agent.sockets).reduce((n, list) => n + (list?.length ?? 0), 0);

describe('node transport: agents', () => {
  it('one request at a time stays on one agent and one kept-alive connection', async () => {
    const transport = made({ requestsPerAgent: 2 });
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await get(transport, '/quick')).status).toBe(200);
    expect(transport.httpAgents).toHaveLength(1);
    expect(connections - before).toBe(1);
    expect(transport.httpsAgents).toHaveLength(0);
  });

  it('spreads requests in flight over agents, none lent more than requestsPerAgent, and reuses their connections after', async () => {
    const transport = made({ requestsPerAgent: 3 });
    const requests = Array.from({ length: 7 }, () => get(transport, '/hold'));
    await expect.poll(() => held.length).toBe(7);
    expect(transport.httpAgents).toHaveLength(3);
    expect(transport.httpAgents.map(inUse)).toEqual([3, 3, 1]);
    await answerHeld(requests);

    // Seven kept-alive connections now: seven more at once open no new one.
    const before = connections;
    await answerHeld(Array.from({ length: 7 }, () => get(transport, '/hold')));
    expect(connections).toBe(before);
    expect(transport.httpAgents).toHaveLength(3);
  });

  it('gives an agent its room back when a request ends without an answer (abort, timeout)', async () => {
    const transport = made({ requestsPerAgent: 2 });
    const controller = new AbortController();
    const aborted = [get(transport, '/hold', controller.signal), get(transport, '/hold', controller.signal)];
    await expect.poll(() => held.length).toBe(2);
    controller.abort();
    const outcomes = await Promise.allSettled(aborted);
    expect(outcomes.map((o) => o.status === 'rejected' && isTransportError(o.reason) && o.reason.reason)).toEqual(['aborted', 'aborted']);
    held.splice(0);
    await expect(transport.request({ method: 'GET', url: `${base}/hold`, headers: {}, timeoutMs: 50 })).rejects.toMatchObject({ reason: 'timeout' });
    held.splice(0);

    await answerHeld([get(transport, '/hold'), get(transport, '/hold')]);
    expect(transport.httpAgents).toHaveLength(1);
  });

  it('a maxSockets keeps one agent, so the limit holds for the whole transport', async () => {
    const transport = made({ requestsPerAgent: 1, agentOptions: { maxSockets: 2 } });
    const requests = Array.from({ length: 4 }, () => get(transport, '/hold'));
    await expect.poll(() => held.length).toBe(2);
    expect(transport.httpAgents).toHaveLength(1);
    expect(inUse(transport.httpAgents[0]!)).toBe(2);
    for (const res of held.splice(0)) res.end('{}');
    await answerHeld(requests.slice(2));
    await Promise.all(requests);
  });

  it("uses the caller's agent for every request, however many are in flight", async () => {
    const agent = new HttpAgent({ keepAlive: true });
    const transport = made({ httpAgent: agent, requestsPerAgent: 1 });
    await answerHeld(Array.from({ length: 3 }, () => get(transport, '/hold')));
    expect(transport.httpAgents).toEqual([agent]);
    transport.destroy();
    expect(Object.keys(agent.freeSockets)).not.toHaveLength(0); // not the transport's to close
    agent.destroy();
  });
});
