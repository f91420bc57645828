/**
 * The node transport's deadlines: requests keep one timer per timeout value, armed for the
 * earliest deadline, instead of a `setTimeout` each. Every request still ends with 'timeout' at
 * its own deadline, never before it, whatever ends around it; a shorter timeout behind a longer
 * one is not held up; and once nothing is in flight no timer is left to hold the process open.
 * Real HTTP against a local server that holds requests until told.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeTransport } from '../../src/client/transports/node.js';

const held: ServerResponse[] = [];
/** Requests held and never answered (their clients time out at once: they may arrive after). */
const dropped: ServerResponse[] = [];
const server = createServer((req, res) => {
  if (req.url === '/hold') held.push(res);
  else if (req.url === '/drop') dropped.push(res);
  else res.end('{}');
});
let base = '';
const transport = nodeTransport();

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  transport.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A held request with this timeout: how it ended, and after how many ms (from its start). */
async function hold(timeoutMs: number, path = '/hold'): Promise<{ outcome: string; afterMs: number }> {
  const started = performance.now();
  try {
    const answer = await transport.request({ method: 'GET', url: base + path, headers: {}, timeoutMs });
    return { outcome: `answer ${answer.status}`, afterMs: performance.now() - started };
  } catch (error) {
    return { outcome: (error as { reason?: string }).reason ?? String(error), afterMs: performance.now() - started };
  }
}

const timeouts = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
const settled = async (): Promise<void> => {
  await expect.poll(() => held.length).toBe(0);
};

describe('node transport: deadlines', () => {
  it('ends each request at its own deadline, not before, when one in front of it was answered', async () => {
    const first = hold(400);
    await expect.poll(() => held.length).toBe(1);
    const second = hold(400);
    const third = hold(400);
    await expect.poll(() => held.length).toBe(3);
    held.shift()!.end('{}');
    expect((await first).outcome).toBe('answer 200');
    const [two, three] = await Promise.all([second, third]);
    for (const ended of [two, three]) {
      expect(ended.outcome).toBe('timeout');
      // Timer granularity: 1 ms.
      expect(ended.afterMs).toBeGreaterThanOrEqual(399);
    }
    held.splice(0); // their sockets were destroyed on timeout
  });

  it('does not hold a shorter timeout up behind a longer one in flight', async () => {
    const long = hold(60_000);
    await expect.poll(() => held.length).toBe(1);
    const short = await hold(100);
    expect(short.outcome).toBe('timeout');
    expect(short.afterMs).toBeGreaterThanOrEqual(99);
    held.shift()!.end('{}');
    expect((await long).outcome).toBe('answer 200');
    held.splice(0);
    await settled();
  });

  it('reads a timeout that is no delay (0, Infinity, NaN) as setTimeout does: 1 ms', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const ended = await Promise.all([hold(0, '/drop'), hold(Infinity, '/drop'), hold(Number.NaN, '/drop')]);
      expect(ended.map((e) => e.outcome)).toEqual(['timeout', 'timeout', 'timeout']);
      await expect.poll(() => warnings).toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('leaves no timer behind once nothing is in flight', async () => {
    const before = timeouts();
    const requests = [hold(30_000), hold(30_000), hold(45_000)];
    await expect.poll(() => held.length).toBe(3);
    expect(timeouts()).toBeGreaterThan(before);
    for (const res of held.splice(0)) res.end('{}');
    expect((await Promise.all(requests)).map((r) => r.outcome)).toEqual(['answer 200', 'answer 200', 'answer 200']);
    expect(timeouts()).toBe(before);
  });
});
