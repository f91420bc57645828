import { afterEach, describe, expect, it } from 'vitest';
import { ResultDesc } from '../../src/client/protocol.js';
import type { Simulator } from '../../src/simulator/index.js';
import { Customer, start, texts } from './helpers.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

async function connected(scenario: Parameters<typeof start>[0] = {}): Promise<Customer> {
  sim = await start(scenario);
  const c = await Customer.join(sim);
  await c.send('CONNECT');
  await c.poll();
  return c;
}

describe('robot', () => {
  it('answers each CHAT after the reply delay with an incrementing interIdx', async () => {
    const c = await connected({ scenario: { robot: { reply: (t) => `echo ${t}` } } });
    expect(await c.text('hello')).toEqual({ resultCode: '0', resultDesc: ResultDesc.chatRobot });
    const [first] = await c.poll();
    expect(first).toMatchObject({ sourceType: 'ROBOT', content: 'echo hello', interIdx: '2' });
    await c.text('again');
    expect((await c.poll())[0]).toMatchObject({ content: 'echo again', interIdx: '3' });
    sim.robot.say('u1', 'scripted');
    expect((await c.poll())[0]).toMatchObject({ content: 'scripted', interIdx: '4' });
    const view = sim.session('u1');
    expect(view?.interIdx).toBe('4');
    expect(view?.transcript.map((e) => [e.direction, e.sourceType, e.content])).toEqual([
      ['downlink', 'ROBOT', sim.scenario.robot.greeting],
      ['uplink', 'CUSTOMER', 'hello'],
      ['downlink', 'ROBOT', 'echo hello'],
      ['uplink', 'CUSTOMER', 'again'],
      ['downlink', 'ROBOT', 'echo again'],
      ['downlink', 'ROBOT', 'scripted'],
    ]);
    expect(sim.violations).toEqual([]);
  });

  it('INPUT and READ are acknowledged and recorded', async () => {
    const c = await connected();
    expect((await c.send('INPUT', { content: 'typing' })).resultCode).toBe('0');
    expect((await c.send('READ')).resultCode).toBe('0');
    expect(sim.requestsFor('send', 'u1').map((r) => (r.body as { controlType: string }).controlType)).toEqual([
      'CONNECT',
      'INPUT',
      'READ',
    ]);
  });

  it('DISCONNECT ends the robot session without a downlink', async () => {
    const c = await connected();
    expect(await c.send('DISCONNECT')).toEqual({ resultCode: '0', resultDesc: ResultDesc.disconnectRobot });
    expect(await c.poll()).toEqual([]);
    expect(sim.session('u1')).toMatchObject({ state: 'ended', endReason: 'customer-disconnect', pendingDownlink: 0 });
  });
});

describe('transfer to an agent', () => {
  it('TRANS2AGENT from the robot: "0", SYSTEM notice, queue, agent', async () => {
    const c = await connected({ scenario: 'robot-then-agent', timing: { queueAdvanceMs: 0 } });
    expect((await c.send('TRANS2AGENT')).resultCode).toBe('0');
    const notices = await c.poll();
    expect(notices.map((m) => m.sourceType)).toEqual(['SYSTEM', 'SYSTEM']);
    expect(notices[1]).toMatchObject({ content: 'Queuing...', queueFlag: 'Y' });
    expect(sim.session('u1')).toMatchObject({ state: 'queued', queuePosition: 1 });
    sim.queue.serve('u1');
    const agent = await c.poll();
    expect(agent.map((m) => m.sourceType)).toEqual(['SYSTEM', 'AGENT']);
    // Now with an agent: another transfer is refused.
    expect(await c.send('TRANS2AGENT')).toEqual({ resultCode: '13', resultDesc: ResultDesc.transferAlreadyAgent });
    expect(sim.violations).toEqual([]);
  });

  it('a transfer keyword in a CHAT acts as TRANS2AGENT', async () => {
    const c = await connected({ scenario: { initialQueuePosition: 0 } });
    expect((await c.text('I want a HUMAN please')).resultCode).toBe('0');
    const all = await c.pollUntil((m) => m.some((x) => x.sourceType === 'AGENT'));
    expect(texts(all)).toContain('Queuing...');
    expect(sim.session('u1')?.state).toBe('agent');
  });

  it('robot-only: "13" none channel config found', async () => {
    const c = await connected({ scenario: 'robot-only' });
    expect(await c.send('TRANS2AGENT')).toEqual({
      resultCode: '13',
      resultDesc: 'transfer to agent failed, none channel config found.',
    });
    expect(sim.session('u1')?.state).toBe('robot');
  });

  it('outside working hours: "12"', async () => {
    const c = await connected({ scenario: { connectTo: 'robot', workingHours: false } });
    expect(await c.send('TRANS2AGENT')).toEqual({
      resultCode: '12',
      resultDesc: 'The current time is not within the working time of the service agents.',
    });
  });

  it('queued CHAT is stored for the agent, queue can be moved by API', async () => {
    const c = await connected({ scenario: { name: 'agent-direct', initialQueuePosition: 3 } });
    expect(await c.text('anyone?')).toEqual({ resultCode: '0', resultDesc: ResultDesc.chatAgent });
    sim.queue.advance('u1');
    expect(sim.session('u1')?.queuePosition).toBe(2);
    sim.queue.setPosition('u1', 5);
    expect(sim.session('u1')?.queuePosition).toBe(5);
    sim.queue.advance('u1', 5);
    expect(sim.session('u1')?.state).toBe('agent');
    expect(sim.session('u1')?.transcript.filter((e) => e.direction === 'uplink').map((e) => e.content)).toEqual(['anyone?']);
    expect(() => sim.queue.serve('u1')).toThrow(/needs queued/);
  });
});

describe('agent', () => {
  it('auto-replies after the delay; say, read and end', async () => {
    const c = await connected({ scenario: { name: 'no-survey', agent: { reply: (t) => `got ${t}` } } });
    const at = '1700000000123';
    expect(await c.send('CHAT', { content: 'hi', timestamp: at })).toEqual({ resultCode: '0', resultDesc: ResultDesc.chatAgent });
    const [reply] = await c.poll();
    expect(reply).toMatchObject({ sourceType: 'AGENT', content: 'got hi', senderNickname: sim.scenario.agent.nickname });
    expect(reply?.callId).toBe(sim.session('u1')?.callId);

    sim.agent.say('u1', 'anything else?');
    expect(texts(await c.poll())).toEqual(['anything else?']);

    // READ notices only reach polls with isNeedRead=true; content lists the read messages.
    sim.agent.read('u1');
    expect(await c.poll()).toEqual([]);
    await c.send('CHAT', { content: 'no thanks', timestamp: '1700000000999' });
    await c.poll();
    sim.agent.read('u1');
    const [read] = await c.poll({ isNeedRead: true });
    expect(read).toMatchObject({ controlType: 'READ', sourceType: 'AGENT' });
    expect(JSON.parse(read?.content ?? 'null')).toEqual(['1700000000999']);

    sim.agent.end('u1');
    const [bye] = await c.poll();
    expect(bye).toMatchObject({ controlType: 'DISCONNECT', sourceType: 'AGENT', mediaType: null, content: null, senderNickname: null });
    expect(sim.session('u1')).toMatchObject({ state: 'ended', endReason: 'agent-end' });
    expect(() => sim.agent.say('u1', 'too late')).toThrow(/ended/);
    expect(sim.violations).toEqual([]);
  });

  it('null reply means no auto reply', async () => {
    const c = await connected({ scenario: { name: 'no-survey', agent: { reply: () => null } } });
    await c.text('hello');
    expect(await c.poll()).toEqual([]);
  });

  it('system say and disconnect', async () => {
    const c = await connected({ scenario: 'no-survey' });
    sim.system.say('u1', 'maintenance soon');
    expect((await c.poll())[0]).toMatchObject({ sourceType: 'SYSTEM', content: 'maintenance soon', senderNickname: 'system' });
    sim.system.disconnect('u1', { isOfflineStatus: true });
    expect((await c.poll())[0]).toMatchObject({ sourceType: 'SYSTEM', controlType: 'DISCONNECT', isOfflineStatus: true });
    expect(sim.session('u1')?.endReason).toBe('system-disconnect');
  });
});

describe('send validation', () => {
  it.each([
    ['missing from', { from: undefined }, '2', 'missing-field'],
    ['numeric timestamp', { timestamp: 1619573122352 }, '3', 'wrong-type'],
    ['wrong to', { to: '42' }, '3', 'invalid-value'],
    ['wrong channel', { channel: 'APP' }, '3', 'invalid-value'],
    ['unknown controlType', { controlType: 'HELLO' }, '3', 'invalid-value'],
    ['unknown mediaType', { mediaType: 'GIF' }, '3', 'invalid-value'],
  ])('%s → "%s" + %s', async (_name, fields, code, rule) => {
    const c = await connected();
    // JSON round trip drops the undefined fields.
    const body = JSON.parse(JSON.stringify(c.sendBody('CHAT', { content: 'hi', ...fields })));
    const res = await c.call('send', body);
    expect(res.status).toBe(200);
    expect(res.body.resultCode).toBe(code);
    expect(res.body.resultDesc).toEqual(expect.any(String));
    expect(sim.violations.map((v) => v.rule)).toEqual([rule]);
  });

  it('from is limited to 24 characters although applyToken takes 32', async () => {
    sim = await start();
    const c = await Customer.join(sim, 'x'.repeat(25));
    expect((await c.send('CONNECT')).resultCode).toBe('3');
    expect(sim.violations.map((v) => v.rule)).toEqual(['invalid-value']);
  });

  it('TEXT content is limited to 1024 UTF-8 bytes', async () => {
    const c = await connected();
    expect((await c.text('é'.repeat(512))).resultCode).toBe('0');
    expect((await c.text('é'.repeat(513))).resultCode).toBe('3');
    expect((await c.text('')).resultCode).toBe('2');
    expect(sim.violations.map((v) => v.rule)).toEqual(['invalid-value', 'missing-field']);
  });

  it('media CHAT content must reference an upload in a documented form', async () => {
    const c = await connected({ scenario: 'no-survey' });
    const up = await c.call('uploadFileStream', { fileType: 'jpg', fileStream: Buffer.from('img').toString('base64'), channel: 'WEB' });
    const key = up.body.objectKey as string;
    expect((await c.send('CHAT', { mediaType: 'IMAGE', content: key })).resultCode).toBe('0');
    expect((await c.send('CHAT', { mediaType: 'IMAGE', content: `${key},jpg` })).resultCode).toBe('0');
    expect((await c.send('CHAT', { mediaType: 'FILE', content: `my,file.txt,3,${key},txt` })).resultCode).toBe('0');
    expect((await c.send('CHAT', { mediaType: 'FILE_IMAGE', content: `${key},jpg` })).resultCode).toBe('0');
    expect((await c.send('CHAT', { mediaType: 'WEBCARD', content: JSON.stringify({ title: 't', redirectUrl: 'https://x' }) })).resultCode).toBe('0');
    expect(sim.violations).toEqual([]);
    expect((await c.send('CHAT', { mediaType: 'FILE', content: 'only,three,parts' })).resultCode).toBe('3');
    expect((await c.send('CHAT', { mediaType: 'WEBCARD', content: '{"title":"no link"}' })).resultCode).toBe('3');
    expect((await c.send('CHAT', { mediaType: 'IMAGE', content: 'no-such-key' })).resultCode).toBe('0');
    expect(sim.violations.map((v) => v.rule)).toEqual(['invalid-value', 'invalid-value', 'unknown-file']);
  });
});

describe('live scenario', () => {
  it('changing sim.scenario takes effect at once', async () => {
    const c = await connected({ scenario: 'robot-then-agent' });
    sim.scenario.workingHours = false;
    expect((await c.send('TRANS2AGENT')).resultCode).toBe('12');
    sim.scenario.workingHours = true;
    sim.scenario.initialQueuePosition = 0;
    expect((await c.send('TRANS2AGENT')).resultCode).toBe('0');
    expect(sim.session('u1')?.state).toBe('agent');
  });
});
