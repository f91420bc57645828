import { afterEach, describe, expect, it } from 'vitest';
import { ResultDesc } from '../../src/client/protocol.js';
import { scenarios, type Simulator } from '../../src/simulator/index.js';
import { Customer, start, texts } from './helpers.js';
import { budget } from '../support/timeBudget.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

const queueInfo = (c: Customer) =>
  c.call('queryQueueInfo', { userId: c.userId, channelConfigId: c.sim.channelId, channel: 'WEB' }).then((r) => r.body);

describe('CONNECT per scenario', () => {
  it('robot-then-agent: connects to the robot, greeting with interIdx "1"', async () => {
    sim = await start({ scenario: 'robot-then-agent' });
    const c = await Customer.join(sim);
    expect(await c.send('CONNECT')).toEqual({ resultCode: '0', resultDesc: ResultDesc.connectRobot });
    const [greeting, ...rest] = await c.poll();
    expect(rest).toEqual([]);
    expect(greeting).toMatchObject({
      from: sim.channelId,
      to: 'u1',
      channel: 'WEB',
      controlType: 'CHAT',
      mediaType: 'TEXT',
      sourceType: 'ROBOT',
      content: sim.scenario.robot.greeting,
      interIdx: '1',
      robotGender: 'MALE',
      callId: null,
      senderNickname: sim.scenario.robot.nickname,
    });
    expect(greeting?.messageCode).toMatch(/^[0-9A-F]{64}$/);
    expect(typeof greeting?.timestamp).toBe('number');
    expect(sim.session('u1')).toMatchObject({ state: 'robot', interIdx: '1', endReason: null });
    // A robot conversation has no CCUCS call: 160004.
    expect(await queueInfo(c)).toEqual({ resultCode: '160004' });
    expect(sim.violations).toEqual([]);
  });

  it('robot-only: connects to the robot as well', async () => {
    sim = await start({ scenario: 'robot-only' });
    const c = await Customer.join(sim);
    expect((await c.send('CONNECT')).resultDesc).toBe(ResultDesc.connectRobot);
  });

  it('agent-direct: "success", Queuing... (queueFlag Y), positions count down, then connected + greeting and 160021', async () => {
    sim = await start({ scenario: 'agent-direct', timing: { queueAdvanceMs: 0 } });
    const c = await Customer.join(sim);
    expect(await c.send('CONNECT')).toEqual({ resultCode: '0', resultDesc: 'success' });
    const first = await queueInfo(c);
    expect(first).toMatchObject({ resultCode: '0', position: 2 });
    for (const key of ['totalWaitTime', 'currentDeviceWaitTime', 'configMaxcWaitTime', 'longestWaitTime', 'estimateWaitTime']) {
      expect(Number.isInteger(first[key])).toBe(true);
    }
    const [queuing] = await c.poll();
    expect(queuing).toMatchObject({ sourceType: 'SYSTEM', content: 'Queuing...', queueFlag: 'Y' });
    // Position 2 → 1 → served.
    sim.queue.advance('u1');
    expect(await queueInfo(c)).toMatchObject({ resultCode: '0', position: 1 });
    sim.queue.advance('u1');
    const served = await c.pollUntil((all) => all.some((m) => m.sourceType === 'AGENT'));
    expect(texts(served)).toEqual(['The call is connected to an agent.', sim.scenario.agent.greeting]);
    expect(served[1]?.callId).toMatch(/^\d{10}-\d{8}$/);
    expect(await queueInfo(c)).toEqual({ resultCode: '160021' });
    expect(sim.session('u1')).toMatchObject({ state: 'agent', queuePosition: null });
    expect(sim.violations).toEqual([]);
  });

  it('the queue advances by itself every queueAdvanceMs', async () => {
    // The first query must come before three steps have passed (at 15 ms a stalled thread missed
    // it): a race window, scaled (docs/testing.md, "Time limits").
    sim = await start({ scenario: { name: 'agent-direct', initialQueuePosition: 3 }, timing: { queueAdvanceMs: budget(50) } });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    const seen: number[] = [];
    for (;;) {
      const info = await queueInfo(c);
      if (info.resultCode !== '0') {
        expect(info.resultCode).toBe('160021');
        break;
      }
      seen.push(info.position);
    }
    expect(seen[0]).toBeLessThanOrEqual(3);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(sim.session('u1')?.state).toBe('agent');
  });

  it('no-survey: position 0 is served at once', async () => {
    sim = await start({ scenario: 'no-survey' });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    expect(texts(await c.poll())).toEqual(['Queuing...', 'The call is connected to an agent.', sim.scenario.agent.greeting]);
  });

  it('after-hours: "12" with the documented text, no session, leave message works', async () => {
    sim = await start({ scenario: 'after-hours' });
    const c = await Customer.join(sim);
    expect(await c.send('CONNECT')).toEqual({ resultCode: '12', resultDesc: ResultDesc.afterHours });
    expect(sim.session('u1')?.state).toBe('idle');
    const left = await c.call('doLeaveMessage', { callId: 'u1', caller: '13866667777', leaveMessage: 'please call me back', channel: 'WEB' });
    expect(left.body).toEqual({ resultCode: '0', resultDesc: ResultDesc.leaveMessageSaved });
    expect(sim.session('u1')?.leaveMessages).toEqual([{ at: expect.any(Number), caller: '13866667777', message: 'please call me back' }]);
    // Ending a chat that never started is harmless.
    expect((await c.send('DISCONNECT')).resultCode).toBe('0');
    expect(sim.violations).toEqual([]);
  });

  it('connect failures answer "13" with the documented texts', async () => {
    sim = await start({ scenario: { connectFailure: 'no-ccucs' } });
    let c = await Customer.join(sim);
    expect(await c.send('CONNECT')).toEqual({ resultCode: '13', resultDesc: 'No ccucs address available!' });
    await sim.close();
    sim = await start({ scenario: { connectFailure: 'robot-init' } });
    c = await Customer.join(sim);
    expect(await c.send('CONNECT')).toEqual({ resultCode: '13', resultDesc: 'fail to initialize robot' });
  });

  it('a second CONNECT answers "0" but records duplicate-connect', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    expect(await c.send('CONNECT')).toEqual({ resultCode: '0', resultDesc: ResultDesc.connectRobot });
    expect(sim.violations).toEqual([expect.objectContaining({ rule: 'duplicate-connect', userId: 'u1' })]);
    expect(texts(await c.poll())).toEqual([sim.scenario.robot.greeting]);
  });

  it('scenario overrides merge over a preset', async () => {
    sim = await start({ scenario: { name: 'agent-direct', initialQueuePosition: 0, agent: { nickname: 'Bob' } } });
    expect(sim.scenario).toMatchObject({ connectTo: 'agent', initialQueuePosition: 0, agent: { nickname: 'Bob' } });
    expect(sim.scenario.agent.greeting).toBe(scenarios['agent-direct'].agent.greeting);
  });
});

describe('sendAsync', () => {
  it('acknowledges at once and connects asynchronously', async () => {
    sim = await start({ scenario: 'robot-then-agent' });
    const c = await Customer.join(sim);
    expect(await c.send('CONNECT', {}, 'sendAsync')).toEqual({ resultCode: '0', resultDesc: ResultDesc.sendAsyncAccepted });
    expect(texts(await c.poll())).toEqual([sim.scenario.robot.greeting]);
    expect(sim.violations).toEqual([]);
  });

  it('reports a failed CONNECT as SYSTEM text + SYSTEM DISCONNECT with isOfflineStatus true', async () => {
    sim = await start({ scenario: 'after-hours' });
    const c = await Customer.join(sim);
    expect((await c.send('CONNECT', {}, 'sendAsync')).resultCode).toBe('0');
    const messages = await c.pollUntil((all) => all.some((m) => m.controlType === 'DISCONNECT'));
    expect(messages.map((m) => [m.sourceType, m.controlType, m.content])).toEqual([
      ['SYSTEM', 'CHAT', ResultDesc.afterHours],
      ['SYSTEM', 'DISCONNECT', null],
    ]);
    expect(messages[1]).toMatchObject({ isOfflineStatus: true, mediaType: null, senderNickname: null });
  });

  it('still validates synchronously', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    expect((await c.send('CONNECT', { sourceType: 'USER' }, 'sendAsync')).resultCode).toBe('3');
    expect(sim.violations.map((v) => v.rule)).toEqual(['invalid-value']);
  });
});

describe('CHAT without a session', () => {
  it('before CONNECT: "13" and chat-without-session', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    expect(await c.text('hello')).toEqual({ resultCode: '13', resultDesc: ResultDesc.chatAgentFailed });
    expect(sim.violations).toEqual([expect.objectContaining({ rule: 'chat-without-session' })]);
  });

  it("after the client's own DISCONNECT: violation", async () => {
    sim = await start();
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    expect(await c.send('DISCONNECT')).toEqual({ resultCode: '0', resultDesc: ResultDesc.disconnectRobot });
    expect(sim.session('u1')).toMatchObject({ state: 'ended', endReason: 'customer-disconnect' });
    expect((await c.text('still there?')).resultCode).toBe('13');
    expect(sim.violations.map((v) => v.rule)).toEqual(['chat-without-session']);
  });

  it('after a server-side end (race with the DISCONNECT downlink): "13" but no violation', async () => {
    sim = await start({ scenario: 'no-survey' });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    sim.agent.end('u1');
    expect((await c.text('one more thing')).resultCode).toBe('13');
    expect(sim.violations).toEqual([]);
    // The documented flow still sends DISCONNECT at the end.
    expect(await c.send('DISCONNECT')).toEqual({ resultCode: '0', resultDesc: ResultDesc.disconnectAgent });
    expect(sim.violations).toEqual([]);
  });
});
