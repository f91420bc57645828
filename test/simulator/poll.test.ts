import { afterEach, describe, expect, it } from 'vitest';
import { ResultDesc } from '../../src/client/protocol.js';
import type { Simulator } from '../../src/simulator/index.js';
import { Customer, start, texts } from './helpers.js';
import { budget, eventually, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

describe('long poll', () => {
  it('answers at once when messages wait, in order, with the documented envelope', async () => {
    // A window no test outlives: an answer at all means it came without waiting the window.
    sim = await start({ scenario: 'no-survey', timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    const t0 = performance.now();
    const res = await c.call('poll', undefined, { query: { receiverId: 'u1', channel: 'WEB' } });
    expect(performance.now() - t0, 'answered before the window closed').toBeLessThan(OUTLASTS_ANY_TEST_MS);
    expect(res.body.resultCode).toBe('0');
    expect(res.body.resultDesc).toBe(ResultDesc.pollSuccess);
    const messages = res.body.downlinkMessages as { timestamp: number; messageCode: string }[];
    expect(texts(res.body.downlinkMessages)).toEqual(['Queuing...', 'The call is connected to an agent.', sim.scenario.agent.greeting]);
    // Strictly increasing timestamps, unique message codes.
    const stamps = messages.map((m) => m.timestamp);
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
    expect(new Set(messages.map((m) => m.messageCode)).size).toBe(messages.length);
    // Every downlink carries the full shape.
    expect(Object.keys(messages[0] ?? {}).sort()).toEqual(
      [
        'associationContentId', 'callId', 'channel', 'content', 'contentType', 'controlType', 'from', 'handlerType',
        'interIdx', 'isOfflineStatus', 'mediaFileType', 'mediaType', 'messageCode', 'queueFlag', 'receiveTime',
        'robotGender', 'senderAvatar', 'senderNickname', 'simQuestions', 'sourceType', 'timestamp', 'to',
      ].sort(),
    );
    expect(sim.violations).toEqual([]);
  });

  it('waits the whole window and answers [] when nothing arrives', async () => {
    sim = await start({ timing: { longPollWindowMs: 120 } });
    const c = await Customer.join(sim);
    const t0 = performance.now();
    expect(await c.poll()).toEqual([]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it('a waiting poll is answered as soon as a message arrives', async () => {
    sim = await start({ scenario: 'no-survey', timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } }); // still waiting whenever the test acts
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    await c.poll();
    const pending = c.poll();
    await eventually(() => expect(sim.requestsFor('poll').at(-1)?.status).toBe(0));
    sim.agent.say('u1', 'ping');
    expect(texts(await pending)).toEqual(['ping']);
  });

  it('a second poll while one waits: older answered [] at once, concurrent-poll recorded', async () => {
    sim = await start({ timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } }); // still waiting whenever the test acts
    const c = await Customer.join(sim);
    const first = c.poll();
    await eventually(() => expect(sim.requestsFor('poll')).toHaveLength(1));
    const controller = new AbortController();
    const second = c.poll({ signal: controller.signal });
    expect(await first).toEqual([]);
    expect(sim.violations).toEqual([expect.objectContaining({ rule: 'concurrent-poll', api: 'poll', userId: 'u1' })]);
    controller.abort();
    await expect(second).rejects.toThrow();
  });

  it('a poll the client abandons does not swallow messages', async () => {
    sim = await start({ scenario: 'no-survey', timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } }); // still waiting whenever the test acts
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    await c.poll();
    const controller = new AbortController();
    const abandoned = c.poll({ signal: controller.signal });
    await eventually(() => expect(sim.requestsFor('poll')).toHaveLength(2));
    controller.abort();
    await expect(abandoned).rejects.toThrow();
    await eventually(() => expect(sim.requestsFor('poll').at(-1)?.abandoned).toBe(true));
    sim.agent.say('u1', 'are you there?');
    expect(sim.session('u1')?.pendingDownlink).toBe(1);
    expect(texts(await c.poll())).toEqual(['are you there?']);
  });

  it('rejects a poll without receiverId or with another channel ("3", no resultDesc)', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const noReceiver = await c.call('poll', undefined, { query: { channel: 'WEB' } });
    expect(noReceiver.body).toEqual({ resultCode: '3' });
    const otherChannel = await c.call('poll', undefined, { query: { receiverId: 'u1', channel: 'APP' } });
    expect(otherChannel.body).toEqual({ resultCode: '3' });
    expect(sim.violations.map((v) => v.rule)).toEqual(['missing-field', 'invalid-value']);
  });

  it('rejects polling for another user with 401 identity-mismatch', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const res = await c.call('poll', undefined, { query: { receiverId: 'someone-else', channel: 'WEB' } });
    expect(res.status).toBe(401);
    expect(sim.violations.map((v) => v.rule)).toEqual(['identity-mismatch']);
  });

  it('POST to poll is a wrong method (404)', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const wrong = await fetch(`${sim.url}/apiaccess/ccmessaging/poll?receiverId=u1&channel=WEB`, { method: 'POST', headers: c.headers() });
    expect(wrong.status).toBe(404);
    expect(sim.violations.map((v) => v.rule)).toEqual(['wrong-method']);
  });
});

describe('session keep-alive', () => {
  it('releases the session when polling stops: SYSTEM DISCONNECT, isOfflineStatus false', async () => {
    sim = await start({ scenario: 'robot-only', timing: { sessionIdleTimeoutMs: 80 } });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    await eventually(() => expect(sim.session('u1')?.state).toBe('ended'));
    expect(sim.session('u1')?.endReason).toBe('idle-release');
    const messages = await c.poll();
    expect(messages.map((m) => [m.sourceType, m.controlType])).toEqual([
      ['ROBOT', 'CHAT'],
      ['SYSTEM', 'DISCONNECT'],
    ]);
    expect(messages[1]).toMatchObject({ isOfflineStatus: false, content: null, mediaType: null });
  });

  it('polling keeps the session alive', async () => {
    // Released after idleMs without a poll: the gap between two polls of the loop must stay below
    // it, on a loaded machine too (a race window, scaled); the loop runs 1.5 times as long.
    const idleMs = budget(600);
    sim = await start({ scenario: 'robot-only', timing: { sessionIdleTimeoutMs: idleMs, longPollWindowMs: 30 } });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    const t0 = performance.now();
    while (performance.now() - t0 < idleMs * 1.5) await c.poll();
    expect(sim.session('u1')?.state).toBe('robot');
  });

  it('sim.system.releaseSession acts like the timeout', async () => {
    sim = await start({ scenario: 'no-survey' });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    await c.poll();
    sim.system.releaseSession('u1');
    expect((await c.poll())[0]).toMatchObject({ controlType: 'DISCONNECT', sourceType: 'SYSTEM', isOfflineStatus: false });
    expect(sim.session('u1')?.endReason).toBe('idle-release');
  });
});

describe('duplicate delivery fault', () => {
  it('re-delivers the last batch with the same messageCodes', async () => {
    sim = await start({ scenario: 'no-survey' });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    const batch = await c.poll();
    sim.faults.next('poll', { duplicateDelivery: true });
    sim.agent.say('u1', 'new');
    const again = await c.poll();
    expect(again.map((m) => m.messageCode)).toEqual([...batch.map((m) => m.messageCode), again.at(-1)?.messageCode]);
    expect(again.at(-1)?.content).toBe('new');
    expect(sim.requestsFor('poll').at(-1)?.fault).toBe('duplicate-delivery');
  });
});
