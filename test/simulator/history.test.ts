import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { Customer, manualClock, start } from './helpers.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

const query = (c: Customer, extra: Record<string, unknown> = {}) =>
  c.call('queryHistoryChatMessage', { channelId: c.sim.channelId, userId: c.userId, limit: '50', offset: '0', channel: 'WEB', ...extra });

describe('queryHistoryChatMessage', () => {
  it('returns earlier and current messages newest first, customer as USER, with the documented fields', async () => {
    const clock = manualClock(1_659_938_000_000);
    sim = await start({ scenario: { name: 'no-survey', agent: { reply: (t) => `re: ${t}` } }, now: clock.now });
    sim.seedHistory('u1', [
      { content: 'old question', sourceType: 'USER' },
      { content: 'old answer', sourceType: 'AGENT', senderNickname: 'Bob', callId: '1659938875-16806492' },
    ]);
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    await c.text('new question');
    await c.pollUntil((all) => all.some((m) => m.content === 're: new question'));

    const res = await query(c);
    expect(res.body.resultCode).toBe('0');
    expect(res.body.resultDesc).toBe('success');
    const list = res.body.messageList as Record<string, unknown>[];
    expect(list.map((m) => [m['sourceType'], m['content']])).toEqual([
      ['AGENT', 're: new question'],
      ['USER', 'new question'],
      ['AGENT', sim.scenario.agent.greeting],
      ['SYSTEM', 'The call is connected to an agent.'],
      ['SYSTEM', 'Queuing...'],
      ['AGENT', 'old answer'],
      ['USER', 'old question'],
    ]);
    expect(Object.keys(list[0] ?? {}).sort()).toEqual(
      [
        'id', 'channel', 'senderNickname', 'senderAvatar', 'sendTime', 'receiveTime', 'controlType', 'sourceType', 'mediaType',
        'content', 'callId', 'messageCode', 'associationContentId', 'sendStatus', 'errorMsg', 'isForwarded', 'forwardTime',
        'contentDealType',
      ].sort(),
    );
    expect(list[1]).toMatchObject({ senderNickname: 'u1', controlType: 'CHAT', mediaType: 'TEXT', isForwarded: false });
    expect(typeof list[0]?.['sendTime']).toBe('number');
    expect(list[0]?.['messageCode']).toMatch(/^[0-9A-F]{64}$/);
    expect(sim.violations).toEqual([]);
  });

  it('pages with limit/offset and filters by time window', async () => {
    sim = await start();
    sim.seedHistory(
      'u1',
      Array.from({ length: 5 }, (_, i) => ({ content: `m${i}`, sendTime: 1_000 + i * 100 })),
    );
    const c = await Customer.join(sim);
    const page = async (limit: string, offset: string) =>
      ((await query(c, { limit, offset })).body.messageList as { content: string }[]).map((m) => m.content);
    expect(await page('2', '0')).toEqual(['m4', 'm3']);
    expect(await page('2', '2')).toEqual(['m2', 'm1']);
    expect(await page('2', '4')).toEqual(['m0']);
    expect(await page('2', '6')).toEqual([]);
    const windowed = await query(c, { startTime: '1100', endTime: '1300' });
    expect((windowed.body.messageList as { content: string }[]).map((m) => m.content)).toEqual(['m3', 'm2', 'm1']);
    expect(sim.violations).toEqual([]);
  });

  it('numbers instead of strings: "3" + wrong-type', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const res = await query(c, { limit: 10, offset: 0 });
    expect(res.body.resultCode).toBe('3');
    expect(res.body.messageList).toBeUndefined();
    expect(sim.violations.map((v) => v.rule)).toEqual(['wrong-type']);
  });

  it('another user id is an identity mismatch', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    expect((await query(c, { userId: 'u2' })).status).toBe(401);
  });
});
