import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { Customer, start } from './helpers.js';
import { eventually, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

describe('faults', () => {
  it('status: answers that status with a gateway body, processes nothing, then back to normal', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.faults.next('send', { status: 503 });
    const res = await c.call('send', c.sendBody('CONNECT'));
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ errorCode: '503', exceptionInfo: 'injected fault' });
    expect(sim.session('u1')?.state).toBe('idle');
    expect(sim.requestsFor('send')[0]).toMatchObject({ status: 503, fault: 'status' });
    expect((await c.send('CONNECT')).resultCode).toBe('0');
  });

  it('status with a custom body, several times', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const body = { userId: 'u1', channelConfigId: sim.channelId, channel: 'WEB' };
    sim.faults.next('queryQueueInfo', { status: 200, body: { resultCode: '160001' } }, 2);
    expect((await c.call('queryQueueInfo', body)).body).toEqual({ resultCode: '160001' });
    expect((await c.call('queryQueueInfo', body)).body).toEqual({ resultCode: '160001' });
    expect((await c.call('queryQueueInfo', body)).body).toEqual({ resultCode: '160004' });
  });

  it('reset: the socket is destroyed before processing', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.faults.next('send', { reset: true });
    await expect(c.call('send', c.sendBody('CONNECT'))).rejects.toThrow();
    expect(sim.session('u1')?.state).toBe('idle');
    expect(sim.requestsFor('send')[0]).toMatchObject({ status: 0, fault: 'reset' });
  });

  it('reset after processing: no answer, but the CONNECT happened (outcome unknown)', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.faults.next('send', { reset: true, afterProcessing: true });
    await expect(c.call('send', c.sendBody('CONNECT'))).rejects.toThrow();
    expect(sim.session('u1')?.state).toBe('robot');
  });

  it('delay: a client that gives up still caused the effect', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    // The client gives up once the server has the request (event order, not a 50 ms timer that a
    // stalled thread could fire before the request even arrived); the answer is held past any test.
    sim.faults.next('send', { delayMs: OUTLASTS_ANY_TEST_MS });
    const controller = new AbortController();
    const given = c.call('send', c.sendBody('CONNECT'), { signal: controller.signal });
    await eventually(() => sim.requestsFor('send').at(-1)?.fault === 'delay', { what: 'the held CONNECT at the server' });
    controller.abort();
    await expect(given).rejects.toThrow();
    await eventually(() => sim.requestsFor('send').at(-1)?.abandoned === true, { what: 'the server to see the client leave' });
    expect(sim.session('u1')?.state).toBe('robot');
    sim.faults.next('send', { delayMs: 30 });
    const t0 = performance.now();
    expect((await c.send('CHAT', { content: 'hi' })).resultCode).toBe('0');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('clear drops queued faults; bad faults are refused', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.faults.next('send', { status: 500 }, 3);
    sim.faults.clear();
    expect((await c.send('CONNECT')).resultCode).toBe('0');
    expect(() => sim.faults.next('send', { status: 42 })).toThrow();
    expect(() => sim.faults.next('send', { delayMs: -1 })).toThrow();
    expect(() => sim.faults.next('send', { status: 500 }, 0)).toThrow();
  });
});
