import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { b64, Customer, start } from './helpers.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

describe('a whole documented flow', () => {
  it('robot → transfer → queue → agent → files → agent ends → survey → DISCONNECT, with no violations', async () => {
    // The queue moves when the test says so (sim.queue.serve below), not after a 20 ms timer that a
    // loaded machine outran before the "still queued" check (connect.test.ts covers the timer).
    sim = await start({ scenario: 'robot-then-agent' });
    const c = await Customer.join(sim, 'session_user_1');
    const id = { userId: c.userId, channelConfigId: sim.channelId, channel: 'WEB' };

    expect((await c.call('queryHistoryChatMessage', { channelId: sim.channelId, userId: c.userId, limit: '20', offset: '0', channel: 'WEB' })).body.messageList).toEqual([]);
    expect((await c.send('CONNECT')).resultCode).toBe('0');
    const [greeting] = await c.poll();
    expect(greeting?.sourceType).toBe('ROBOT');
    expect((await c.call('queryPhraseByKeyword', { strContent: 'order', locale: 'en', channel: 'WEB' })).body.question.length).toBeGreaterThan(0);
    await c.send('INPUT');
    await c.text('where is my order?');
    const [robotReply] = await c.poll();
    expect(robotReply?.interIdx).toBe('2');
    expect((await c.call('feedbackSatisfaction', { feedback: 1, from: c.userId, interIdx: robotReply?.interIdx })).body.resultCode).toBe('0');

    expect((await c.send('TRANS2AGENT')).resultCode).toBe('0');
    expect((await c.call('queryQueueInfo', id)).body.resultCode).toBe('0');
    sim.queue.serve(c.userId);
    await c.pollUntil((all) => all.some((m) => m.sourceType === 'AGENT'));
    expect((await c.call('queryQueueInfo', id)).body.resultCode).toBe('160021');

    const up = await c.call('uploadFileStream', { fileType: 'png', fileStream: b64('picture'), channel: 'WEB' });
    expect((await c.send('CHAT', { mediaType: 'IMAGE', content: up.body.objectKey })).resultCode).toBe('0');
    const file = sim.agent.sendFile(c.userId, { bytes: new TextEncoder().encode('invoice'), fileType: 'pdf', local: true });
    const incoming = await c.pollUntil((all) => all.some((m) => m.contentType === '1'));
    const media = incoming.find((m) => m.contentType === '1');
    const down = await c.call('downloadFileStream', { fileId: `local/${media?.content}`, channel: 'WEB', fileType: media?.mediaFileType });
    expect(Buffer.from(down.body.fileStream, 'base64').toString()).toBe('invoice');
    expect(media?.content).toBe(file.fileId);

    sim.agent.end(c.userId);
    await c.pollUntil((all) => all.some((m) => m.controlType === 'DISCONNECT'));
    const survey = (await c.call('getSatisfactionSurveyMode', { language: 'en_US' })).body.satisfactionSurvey;
    expect(survey.surveyType).toBe('WEB');
    const saved = await c.call('saveSatisfaction', {
      ...id,
      evaluation: survey.satisfactionLevel[4].satisfactionLevelKey,
      comment: 'thanks',
      npsScore: '9',
      fcrValue: '1',
    });
    expect(saved.body.resultCode).toBe('0');
    expect((await c.send('DISCONNECT')).resultCode).toBe('0');

    expect(sim.session(c.userId)).toMatchObject({ state: 'ended', endReason: 'agent-end', satisfaction: { evaluation: '5' } });
    expect(sim.violations).toEqual([]);
  });
});
