import { afterEach, describe, expect, it } from 'vitest';
import { ResultDesc } from '../../src/client/protocol.js';
import type { Simulator } from '../../src/simulator/index.js';
import { Customer, start } from './helpers.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

async function customer(options: Parameters<typeof start>[0] = {}): Promise<Customer> {
  sim = await start(options);
  return Customer.join(sim);
}

describe('getsatisfactionsurveymode', () => {
  it('WEB: default levels 1..5 and questions, with or without a body', async () => {
    const c = await customer();
    const res = await c.call('getSatisfactionSurveyMode', { language: 'en_US' });
    expect(res.body).toEqual({
      resultCode: '0',
      resultDesc: expect.any(String),
      satisfactionSurvey: {
        surveyType: 'WEB',
        satisfactionLevel: [
          { satisfactionLevelKey: '1', satisfactionLevelDesc: 'Very dissatisfied' },
          { satisfactionLevelKey: '2', satisfactionLevelDesc: 'Dissatisfied' },
          { satisfactionLevelKey: '3', satisfactionLevelDesc: 'Neutral' },
          { satisfactionLevelKey: '4', satisfactionLevelDesc: 'Satisfied' },
          { satisfactionLevelKey: '5', satisfactionLevelDesc: 'Very satisfied' },
        ],
        satisfactionQuestion: ['CSAT', 'NPS', 'FCR'],
      },
    });
    const noBody = await c.call('getSatisfactionSurveyMode');
    expect(noBody.body.satisfactionSurvey.surveyType).toBe('WEB');
    expect(sim.requestsFor('getSatisfactionSurveyMode')[0]?.path).toBe('/apiaccess/ccmessaging/getsatisfactionsurveymode');
    expect(sim.violations).toEqual([]);
  });

  it('NO when the scenario has no survey; custom levels are passed through', async () => {
    let c = await customer({ scenario: 'no-survey' });
    expect((await c.call('getSatisfactionSurveyMode', {})).body.satisfactionSurvey).toMatchObject({ surveyType: 'NO' });
    await sim.close();
    c = await customer({ scenario: { surveyLevels: [{ key: '1', label: 'Bad' }, { key: '2', label: 'Good' }], surveyQuestions: [] } });
    const survey = (await c.call('getSatisfactionSurveyMode', {})).body.satisfactionSurvey;
    expect(survey.satisfactionLevel).toEqual([
      { satisfactionLevelKey: '1', satisfactionLevelDesc: 'Bad' },
      { satisfactionLevelKey: '2', satisfactionLevelDesc: 'Good' },
    ]);
  });
});

describe('saveSatisfaction', () => {
  async function afterAgentChat(): Promise<Customer> {
    const c = await customer({ scenario: 'no-survey' });
    await c.send('CONNECT');
    await c.poll();
    sim.agent.end('u1');
    await c.poll();
    return c;
  }
  const rating = (c: Customer, extra: Record<string, unknown> = {}) => ({
    channel: 'WEB',
    userId: c.userId,
    evaluation: '5',
    comment: 'great',
    channelConfigId: c.sim.channelId,
    ...extra,
  });

  it('accepts the flat shape', async () => {
    const c = await afterAgentChat();
    const res = await c.call('saveSatisfaction', rating(c, { npsScore: '10', fcrValue: '1' }));
    expect(res.body).toEqual({ resultCode: '0', resultDesc: ResultDesc.satisfactionSaved, returnCode: '0' });
    expect(sim.session('u1')?.satisfaction).toMatchObject({ shape: 'flat', evaluation: '5', comment: 'great', npsScore: '10', fcrValue: '1' });
    expect(sim.session('u1')?.satisfaction?.callId).toMatch(/^\d+-\d+$/);
    expect(sim.violations).toEqual([]);
  });

  it('accepts the wrapped `satisfication` shape', async () => {
    const c = await afterAgentChat();
    const res = await c.call('saveSatisfaction', { satisfication: rating(c, { evaluation: '2', comment: '' }) });
    expect(res.body.resultCode).toBe('0');
    expect(sim.session('u1')?.satisfaction).toMatchObject({ shape: 'wrapped', evaluation: '2', npsScore: null });
    expect(sim.violations).toEqual([]);
  });

  it('answers "13" without an agent call (robot only)', async () => {
    const c = await customer({ scenario: 'robot-only' });
    await c.send('CONNECT');
    const res = await c.call('saveSatisfaction', rating(c));
    expect(res.body).toMatchObject({ resultCode: '13', resultDesc: ResultDesc.satisfactionNoCall });
  });

  it.each([
    ['evaluation not a level key', { evaluation: '6' }, 'invalid-value'],
    ['numeric evaluation', { evaluation: 5 }, 'wrong-type'],
    ['comment of 512 characters', { comment: 'x'.repeat(512) }, 'invalid-value'],
    ['npsScore 11', { npsScore: '11' }, 'invalid-value'],
    ['fcrValue 3', { fcrValue: '3' }, 'invalid-value'],
    ['comment missing', { comment: undefined }, 'missing-field'],
  ])('%s → "13" + %s', async (_name, extra, rule) => {
    const c = await afterAgentChat();
    const res = await c.call('saveSatisfaction', JSON.parse(JSON.stringify(rating(c, extra))));
    expect(res.body.resultCode).toBe('13');
    expect(sim.violations.map((v) => v.rule)).toEqual([rule]);
    expect(sim.session('u1')?.satisfaction).toBeNull();
  });
});

describe('feedbacksatisfaction', () => {
  async function withRobot(): Promise<Customer> {
    const c = await customer({ scenario: 'robot-only' });
    await c.send('CONNECT');
    await c.poll();
    return c;
  }

  it('stores a rating of the robot while the robot session exists', async () => {
    const c = await withRobot();
    const res = await c.call('feedbackSatisfaction', { feedback: 1, from: 'u1', interIdx: '1' });
    expect(res.body.resultCode).toBe('0');
    expect(sim.session('u1')?.feedback).toMatchObject({ feedback: 1, feedbackContent: null, interIdx: '1' });
    const unhappy = await c.call('feedbackSatisfaction', { feedback: 0, feedbackContent: 'wrong answer', from: 'u1', interIdx: '1' });
    expect(unhappy.body.resultCode).toBe('0');
    expect(sim.violations).toEqual([]);
  });

  it('"30000000008" when dissatisfied without content', async () => {
    const c = await withRobot();
    expect((await c.call('feedbackSatisfaction', { feedback: 0, from: 'u1', interIdx: '1' })).body.resultCode).toBe('30000000008');
    expect((await c.call('feedbackSatisfaction', { feedback: 0, feedbackContent: '', from: 'u1', interIdx: '1' })).body.resultCode).toBe(
      '30000000008',
    );
  });

  it('"30000000019" after the customer\'s DISCONNECT or with an agent', async () => {
    const c = await withRobot();
    await c.send('DISCONNECT');
    expect((await c.call('feedbackSatisfaction', { feedback: 1, from: 'u1', interIdx: '1' })).body.resultCode).toBe('30000000019');
    await sim.close();
    const d = await customer({ scenario: 'no-survey' });
    await d.send('CONNECT');
    expect((await d.call('feedbackSatisfaction', { feedback: 1, from: 'u1', interIdx: '1' })).body.resultCode).toBe('30000000019');
  });

  it('feedback must be an integer: a string is a violation and "1"', async () => {
    const c = await withRobot();
    const res = await c.call('feedbackSatisfaction', { feedback: '1', from: 'u1', interIdx: '1' });
    expect(res.body.resultCode).toBe('1');
    const long = await c.call('feedbackSatisfaction', { feedback: 0, feedbackContent: 'x'.repeat(65), from: 'u1', interIdx: '1' });
    expect(long.body.resultCode).toBe('1');
    const numericIdx = await c.call('feedbackSatisfaction', { feedback: 1, from: 'u1', interIdx: 1 });
    expect(numericIdx.body.resultCode).toBe('1');
    expect(sim.violations.map((v) => v.rule)).toEqual(['wrong-type', 'invalid-value', 'wrong-type']);
  });
});

describe('doLeaveMessage', () => {
  const message = (extra: Record<string, unknown> = {}) =>
    JSON.parse(JSON.stringify({ callId: 'u1', caller: '+86 138-6666-7777', leaveMessage: 'call me', channel: 'WEB', ...extra }));

  it('"0" and stored', async () => {
    const c = await customer({ scenario: 'after-hours' });
    expect((await c.call('doLeaveMessage', message())).body).toEqual({ resultCode: '0', resultDesc: 'Save leaveMessage success!' });
    expect(sim.session('u1')?.leaveMessages).toHaveLength(1);
    expect(sim.violations).toEqual([]);
  });

  it('"2" for an empty parameter, "3" for a wrong one', async () => {
    const c = await customer({ scenario: 'after-hours' });
    expect((await c.call('doLeaveMessage', message({ leaveMessage: '' }))).body.resultCode).toBe('2');
    expect((await c.call('doLeaveMessage', message({ caller: undefined }))).body.resultCode).toBe('2');
    expect((await c.call('doLeaveMessage', message({ caller: 'call me maybe' }))).body).toEqual({
      resultCode: '3',
      resultDesc: ResultDesc.leaveMessageParamsError,
    });
    expect((await c.call('doLeaveMessage', message({ channel: 'APP' }))).body.resultCode).toBe('3');
    expect(sim.session('u1')?.leaveMessages).toEqual([]);
  });

  it('callId names the user: another id is an identity mismatch', async () => {
    const c = await customer();
    expect((await c.call('doLeaveMessage', message({ callId: 'u2' }))).status).toBe(401);
  });
});

describe('queryPhraseByKeyword', () => {
  it('returns at most five FAQ matches, case-insensitive', async () => {
    const c = await customer({
      scenario: { robot: { faq: ['Reset PASSWORD', 'a password b', 'c', 'password 1', 'password 2', 'password 3', 'password 4'] } },
    });
    const res = await c.call('queryPhraseByKeyword', { strContent: 'Password', locale: 'en', channel: 'WEB' });
    expect(res.body).toEqual({ resultCode: '0', question: ['Reset PASSWORD', 'a password b', 'password 1', 'password 2', 'password 3'] });
    const none = await c.call('queryPhraseByKeyword', { strContent: 'zzz', locale: 'zh_CN', channel: 'WEB' });
    expect(none.body).toEqual({ resultCode: '0', question: [] });
    expect(sim.violations).toEqual([]);
  });

  it('"1" locale is error / Robot is no exsit', async () => {
    const c = await customer({ scenario: 'agent-direct' });
    expect((await c.call('queryPhraseByKeyword', { strContent: 'x', locale: 'en', channel: 'WEB' })).body).toEqual({
      resultCode: '1',
      resultDesc: 'Robot is no exsit',
    });
    expect((await c.call('queryPhraseByKeyword', { strContent: 'x', locale: 'EN-us', channel: 'WEB' })).body).toEqual({
      resultCode: '1',
      resultDesc: 'locale is error',
    });
  });
});
