/**
 * createChatSession end to end: the real machine, real actors, real axios client, against the
 * simulator over HTTP. Each scenario asserts the visited states, the transcript, the end
 * reason and that the simulator recorded no protocol violation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySessionStorage, persistSession, type ChatSessionOutput } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { clientFor, fastSimulator, newUserId } from '../client/helpers.js';
import { duplicateKeys, incomingTexts, outgoing, startSession, type SessionRig } from './harness.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';
import { eventually } from '../support/timeBudget.js';

function violationsOf(sim: Simulator, userId: string) {
  return sim.violations.filter((v) => v.userId === userId);
}

async function finished(rig: SessionRig): Promise<ChatSessionOutput> {
  const done = await rig.until((s) => s.status === 'done');
  expect(done.output).toBeDefined();
  return done.output as ChatSessionOutput;
}

describe('robot-only', () => {
  let sim: Simulator;
  beforeAll(async () => (sim = await fastSimulator({ scenario: 'robot-only' })));
  afterAll(() => sim.close());

  it('chats with the robot, is refused a human, rates the robot with the last interIdx', async () => {
    const rig = startSession(sim);
    const chatting = await rig.untilState('connected.chatting');
    expect(chatting.context.servedBy).toBe('robot');
    await rig.until((s) => incomingTexts(s, 'ROBOT').length >= 1);

    rig.actor.send({ type: 'message.send', text: 'opening hours' });
    const replied = await rig.until((s) => incomingTexts(s, 'ROBOT').length >= 2 && outgoing(s)[0]?.status === 'sent');
    expect(outgoing(replied).map((m) => [m.text, m.status])).toEqual([['opening hours', 'sent']]);

    rig.actor.send({ type: 'agent.request' });
    const refused = await rig.until((s) => s.context.error !== null);
    expect(refused.context.error).toMatchObject({ kind: 'business', resultCode: '13' });
    expect(refused.matches({ connected: 'chatting' })).toBe(true);

    rig.actor.send({ type: 'chat.end' });
    const survey = await rig.untilState('connected.survey-robot');
    const interIdx = survey.context.bookkeeping.lastInterIdx;
    expect(interIdx).toBe(sim.session(rig.userId)?.interIdx);
    rig.actor.send({ type: 'survey.submit', satisfied: true });
    const output = await finished(rig);

    expect(output.endReason).toBe('customer-ended');
    expect(output.surveySubmitted).toBe(true);
    expect(rig.states).toEqual(['auth', 'connecting', 'connected.chatting', 'connected.ending', 'connected.survey-robot', 'disconnecting', 'disconnected']);
    expect(sim.requestsFor('feedbackSatisfaction', rig.userId).at(-1)?.body).toMatchObject({ feedback: 1, interIdx });
    expect(sim.requestsFor('send', rig.userId).map((r) => (r.body as { controlType: string }).controlType)).toEqual([
      'CONNECT',
      'CHAT',
      'TRANS2AGENT',
      'DISCONNECT',
    ]);
    expect(duplicateKeys(rig.actor.getSnapshot())).toEqual([]);
    expect(violationsOf(sim, rig.userId)).toEqual([]);
  });

  it('sessions share one provided machine, and each still calls through its own client', async () => {
    const [a, b] = [startSession(sim), startSession(sim)];
    // One state-node tree for the process, not one per session (docs/performance.md).
    expect(a.actor.logic).toBe(b.actor.logic);
    await Promise.all([a, b].map((rig) => rig.untilState('connected.chatting')));
    a.actor.send({ type: 'message.send', text: 'from a' });
    b.actor.send({ type: 'message.send', text: 'from b' });
    for (const [rig, text] of [[a, 'from a'], [b, 'from b']] as const) {
      const replied = await rig.until((s) => outgoing(s)[0]?.status === 'sent' && incomingTexts(s, 'ROBOT').length >= 2);
      expect(outgoing(replied).map((m) => m.text)).toEqual([text]);
      // The simulator ties each token to its user: a client mix-up would show as violations or 401s.
      expect(sim.requestsFor('send', rig.userId).map((r) => (r.body as { content: string }).content)).toContain(text);
      expect(rig.tokenRequests).toEqual(['initial']);
      expect(violationsOf(sim, rig.userId)).toEqual([]);
    }
    for (const rig of [a, b]) rig.actor.send({ type: 'chat.end' });
    await Promise.all([a, b].map((rig) => rig.untilState('connected.survey-robot')));
    for (const rig of [a, b]) rig.actor.send({ type: 'survey.skip' });
    expect((await Promise.all([a, b].map(finished))).map((o) => o.endReason)).toEqual(['customer-ended', 'customer-ended']);
  });

  it('sessions with their own actors get their own machine', () => {
    const rig = startSession(sim, { actorOptions: { random: () => 0.5 } });
    const shared = startSession(sim);
    expect(rig.actor.logic).not.toBe(shared.actor.logic);
    rig.actor.stop();
    shared.actor.stop();
  });
});

describe('robot channel through sendAsync', () => {
  it('waits in queuing for the greeting instead of calling the session gone', async () => {
    const sim = await fastSimulator({ scenario: 'robot-only' });
    try {
      const rig = startSession(sim, { connectVia: 'sendAsync' });
      const chatting = await rig.until((s) => s.context.servedBy === 'robot');
      expect(chatting.matches({ connected: 'chatting' })).toBe(true);
      expect(rig.states.slice(0, 4)).toEqual(['auth', 'connecting', 'connected.queuing', 'connected.chatting']);
      rig.actor.send({ type: 'chat.end' });
      await rig.untilState('connected.survey-robot');
      rig.actor.send({ type: 'survey.skip' });
      expect((await finished(rig)).endReason).toBe('customer-ended');
      expect(violationsOf(sim, rig.userId)).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});

describe('inspection', () => {
  it('forwards the inspect option to createActor', async () => {
    const sim = await fastSimulator({ scenario: 'robot-only' });
    try {
      const seen = new Set<string>();
      const rig = startSession(sim, { inspect: (event) => seen.add(event.type) });
      await rig.untilState('connected.chatting');
      rig.actor.send({ type: 'chat.end' });
      await rig.untilState('connected.survey-robot');
      rig.actor.send({ type: 'survey.skip' });
      await finished(rig);
      expect([...seen]).toEqual(expect.arrayContaining(['@xstate.actor', '@xstate.event', '@xstate.snapshot']));
    } finally {
      await sim.close();
    }
  });
});

describe('agent-direct', () => {
  let sim: Simulator;
  beforeAll(async () => (sim = await fastSimulator({ scenario: 'agent-direct' })));
  afterAll(() => sim.close());

  it('queues with live positions, chats with the agent, the agent ends, the customer rates', async () => {
    const rig = startSession(sim);
    const queued = await rig.until((s) => s.context.queue?.status === 'queuing' && s.context.queue.position === 2);
    expect(queued.matches({ connected: 'queuing' })).toBe(true);
    expect(sim.session(rig.userId)?.state).toBe('queued');

    sim.queue.advance(rig.userId);
    await rig.until((s) => s.context.queue?.status === 'queuing' && s.context.queue.position === 1);
    rig.actor.send({ type: 'message.send', text: 'typed while waiting' });
    sim.queue.serve(rig.userId);

    const chatting = await rig.until((s) => s.matches({ connected: 'chatting' }) && s.context.agentNickname !== null);
    expect(chatting.context.servedBy).toBe('agent');
    expect(chatting.context.queue).toBeNull();
    // The message typed while queuing goes out once served, and the agent answers it.
    await rig.until((s) => incomingTexts(s, 'AGENT').some((t) => t.includes('typed while waiting')));

    rig.actor.send({ type: 'message.send', text: 'second question' });
    await rig.until((s) => incomingTexts(s, 'AGENT').some((t) => t.includes('second question')));
    sim.agent.end(rig.userId);

    const survey = await rig.untilState('connected.survey-agent');
    expect(survey.context.survey.offer?.levels.map((l) => l.key)).toEqual(['1', '2', '3', '4', '5']);
    rig.actor.send({ type: 'survey.submit', evaluation: '5', comment: 'great', npsScore: 10, fcr: true });
    const output = await finished(rig);

    expect(output.endReason).toBe('agent-ended');
    expect(output.serverDisconnect).toMatchObject({ sourceType: 'AGENT' });
    expect(rig.states).toEqual([
      'auth',
      'connecting',
      'connected.queuing',
      'connected.chatting',
      'connected.ending',
      'connected.survey-agent',
      'disconnecting',
      'disconnected',
    ]);
    expect(sim.session(rig.userId)?.satisfaction).toMatchObject({ evaluation: '5', npsScore: '10', fcrValue: '1' });
    expect(outgoing(rig.actor.getSnapshot()).map((m) => [m.text, m.status])).toEqual([
      ['typed while waiting', 'sent'],
      ['second question', 'sent'],
    ]);
    expect(duplicateKeys(rig.actor.getSnapshot())).toEqual([]);
    expect(violationsOf(sim, rig.userId)).toEqual([]);
  });

  it('connects through sendAsync too', async () => {
    const rig = startSession(sim, { connectVia: 'sendAsync' });
    await rig.untilState('connected.queuing');
    // sendAsync only acknowledges; the simulator queues the customer a moment later.
    await eventually(() => expect(sim.session(rig.userId)?.state).toBe('queued'));
    sim.queue.serve(rig.userId);
    await rig.until((s) => s.context.servedBy === 'agent');
    rig.actor.send({ type: 'chat.end' });
    await rig.untilState('connected.survey-agent');
    rig.actor.send({ type: 'survey.skip' });
    expect((await finished(rig)).endReason).toBe('customer-ended');
    expect(sim.requestsFor('sendAsync', rig.userId).length).toBeGreaterThan(0);
    expect(violationsOf(sim, rig.userId)).toEqual([]);
  });
});

describe('robot-then-agent', () => {
  let sim: Simulator;
  beforeAll(async () => (sim = await fastSimulator({ scenario: 'robot-then-agent' })));
  afterAll(() => sim.close());

  it('robot → transfer → queue → agent, a file both ways, customer ends and skips the survey', async () => {
    const rig = startSession(sim);
    await rig.until((s) => s.context.servedBy === 'robot' && incomingTexts(s, 'ROBOT').length > 0);
    rig.actor.send({ type: 'agent.request' });
    const queued = await rig.until((s) => s.matches({ connected: 'queuing' }) && s.context.queue?.status === 'queuing');
    expect(queued.context.queue).toMatchObject({ status: 'queuing', position: 1 });
    sim.queue.serve(rig.userId);
    await rig.until((s) => s.context.servedBy === 'agent' && s.matches({ connected: 'chatting' }));

    const photo = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9, 8, 7, 6, 5]);
    rig.actor.send({ type: 'file.send', data: photo, fileType: 'png', name: 'photo.png' });
    const sent = await rig.until((s) => outgoing(s).some((m) => m.file && m.status === 'sent'));
    const entry = outgoing(sent).find((m) => m.file);
    expect(entry?.file).toMatchObject({ name: 'photo.png', size: photo.length, fileType: 'png' });
    expect(sim.files.get(entry?.file?.objectKey ?? '')).toEqual(photo);
    expect(sim.requestsFor('send', rig.userId).at(-1)?.body).toMatchObject({ controlType: 'CHAT', mediaType: 'IMAGE', content: entry?.file?.objectKey });

    const image = new Uint8Array(2048).map((_, i) => i % 251);
    const downloaded = new Promise<Uint8Array>((resolve) => rig.actor.on('file.downloaded', (event) => resolve(event.bytes)));
    sim.agent.sendFile(rig.userId, { bytes: image, fileType: 'jpg', mediaType: 'IMAGE', local: true });
    const withImage = await rig.until((s) =>
      transcriptEntries(s.context.transcript).some((e) => e.kind === 'incoming' && e.message.controlType === 'CHAT' && e.message.content.mediaType === 'IMAGE'),
    );
    const imageKey = transcriptEntries(withImage.context.transcript).find((e) => e.kind === 'incoming' && e.message.controlType === 'CHAT' && e.message.content.mediaType === 'IMAGE')?.key ?? '';
    rig.actor.send({ type: 'file.download', key: imageKey });
    expect(await downloaded).toEqual(image);
    await rig.until((s) => s.context.downloads[imageKey]?.status === 'done');

    rig.actor.send({ type: 'chat.end' });
    await rig.untilState('connected.survey-agent');
    rig.actor.send({ type: 'survey.skip' });
    const output = await finished(rig);
    expect(output.endReason).toBe('customer-ended');
    expect(output.surveySubmitted).toBe(false);
    expect(rig.states).toEqual([
      'auth',
      'connecting',
      'connected.chatting',
      'connected.queuing',
      'connected.chatting',
      'connected.ending',
      'connected.survey-agent',
      'disconnecting',
      'disconnected',
    ]);
    expect(JSON.stringify(rig.actor.getSnapshot().context)).not.toContain('"0":137'); // no bytes in context
    expect(duplicateKeys(rig.actor.getSnapshot())).toEqual([]);
    expect(violationsOf(sim, rig.userId)).toEqual([]);
  });

  it('giving up in the queue after a transfer: no survey, DISCONNECT at once', async () => {
    const rig = startSession(sim);
    await rig.until((s) => s.context.servedBy === 'robot' && s.context.bookkeeping.lastInterIdx !== null);
    rig.actor.send({ type: 'agent.request' });
    await rig.untilState('connected.queuing');
    rig.actor.send({ type: 'chat.end' });
    const output = await finished(rig);
    expect(output.endReason).toBe('customer-ended');
    // ending.checking passes through in the same step: nobody to rate.
    expect(rig.states.slice(-3)).toEqual(['connected.queuing', 'disconnecting', 'disconnected']);
    expect(sim.requestsFor('getSatisfactionSurveyMode', rig.userId)).toHaveLength(0);
    expect(sim.requestsFor('feedbackSatisfaction', rig.userId)).toHaveLength(0);
    expect(sim.session(rig.userId)?.state).toBe('ended');
    expect(violationsOf(sim, rig.userId)).toEqual([]);
  });

  it('the server releases the session: ends as session-released, still offers the survey', async () => {
    const rig = startSession(sim);
    await rig.until((s) => s.context.servedBy === 'robot');
    rig.actor.send({ type: 'agent.request' });
    await rig.untilState('connected.queuing');
    sim.queue.serve(rig.userId);
    await rig.until((s) => s.context.servedBy === 'agent' && s.matches({ connected: 'chatting' }));
    sim.system.disconnect(rig.userId, { isOfflineStatus: false });
    await rig.untilState('connected.survey-agent');
    rig.actor.send({ type: 'survey.skip' });
    const output = await finished(rig);
    expect(output.endReason).toBe('session-released');
    expect(output.serverDisconnect).toMatchObject({ sourceType: 'SYSTEM', isOfflineStatus: false });
    expect(violationsOf(sim, rig.userId)).toEqual([]);
  });

  it('keeps chatting across a token rotation and a 401, asking the provider only for the 401', async () => {
    // The superseded token keeps its grace period: a poll is always in flight when the server
    // rotates, so a zero grace would fault any client (client tests cover the strict switch).
    const strict = await fastSimulator({ scenario: 'robot-then-agent' });
    try {
      const rotated: string[] = [];
      const userId = newUserId();
      const rig = startSession(strict, {}, userId, clientFor(strict, { onTokenRotated: (token) => rotated.push(token) }, userId));
      await rig.until((s) => s.context.servedBy === 'robot');
      strict.tokens.rotate(rig.userId);
      rig.actor.send({ type: 'message.send', text: 'after rotation' });
      await rig.until((s) => outgoing(s)[0]?.status === 'sent' && incomingTexts(s, 'ROBOT').length >= 2);
      expect(rotated).toHaveLength(1);
      expect(rotated[0]).not.toBe(rig.issuedTokens[0]);
      expect(rig.tokenRequests).toEqual(['initial']);

      strict.tokens.expire(rig.userId);
      rig.actor.send({ type: 'message.send', text: 'after expiry' });
      await rig.until((s) => outgoing(s)[1]?.status === 'sent');
      expect(rig.tokenRequests).toEqual(['initial', 'unauthorized']);

      rig.actor.send({ type: 'chat.end' });
      await rig.untilState('connected.survey-robot');
      rig.actor.send({ type: 'survey.skip' });
      expect((await finished(rig)).endReason).toBe('customer-ended');
      expect(duplicateKeys(rig.actor.getSnapshot())).toEqual([]);
      expect(violationsOf(strict, rig.userId)).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it('rides out failing polls and delivers what arrived meanwhile', async () => {
    const rig = startSession(sim);
    await rig.until((s) => s.context.servedBy === 'robot');
    rig.actor.send({ type: 'agent.request' });
    await rig.untilState('connected.queuing');
    sim.queue.serve(rig.userId);
    await rig.until((s) => s.context.servedBy === 'agent' && s.matches({ connected: 'chatting' }));
    sim.faults.next('poll', { status: 500 }, 2);
    sim.agent.say(rig.userId, 'said while the network was down');
    const failing = await rig.until((s) => s.context.connection.pollFailures > 0);
    expect(failing.context.connection.lastPollError).toMatchObject({ kind: 'http', status: 500 });
    const recovered = await rig.until((s) => incomingTexts(s, 'AGENT').includes('said while the network was down'));
    expect(recovered.context.connection.pollFailures).toBe(0);
    rig.actor.send({ type: 'chat.end' });
    await rig.untilState('connected.survey-agent');
    rig.actor.send({ type: 'survey.skip' });
    await finished(rig);
    expect(duplicateKeys(rig.actor.getSnapshot())).toEqual([]);
  });

  it('is persisted and restored mid-chat: polling resumes, nothing lost or duplicated', async () => {
    const storage = createMemorySessionStorage();
    const userId = newUserId();
    const first = startSession(sim, {}, userId);
    const stopPersisting = persistSession(first.actor, storage);
    await first.until((s) => s.context.servedBy === 'robot');
    first.actor.send({ type: 'agent.request' });
    await first.untilState('connected.queuing');
    sim.queue.serve(userId);
    await first.until((s) => s.context.servedBy === 'agent' && s.matches({ connected: 'chatting' }));
    first.actor.send({ type: 'message.send', text: 'before reload' });
    await first.until((s) => incomingTexts(s, 'AGENT').some((t) => t.includes('before reload')));
    const before = first.actor.getSnapshot().context.transcript.length;

    // The page goes away: the actor stops, the agent keeps talking.
    stopPersisting();
    first.actor.stop();
    sim.agent.say(userId, 'said during the reload');

    const restored = startSession(sim, { snapshot: storage.load() }, userId, clientFor(sim, {}, userId));
    const resumed = restored.actor.getSnapshot();
    expect(resumed.matches({ connected: 'chatting' })).toBe(true);
    expect(resumed.context.transcript).toHaveLength(before);
    await restored.until((s) => incomingTexts(s, 'AGENT').includes('said during the reload'));
    restored.actor.send({ type: 'message.send', text: 'after reload' });
    await restored.until((s) => incomingTexts(s, 'AGENT').some((t) => t.includes('after reload')));

    const snapshot = restored.actor.getSnapshot();
    expect(duplicateKeys(snapshot)).toEqual([]);
    expect(outgoing(snapshot).map((m) => [m.text, m.status])).toEqual([
      ['before reload', 'sent'],
      ['after reload', 'sent'],
    ]);
    expect(incomingTexts(snapshot, 'AGENT').filter((t) => t === 'said during the reload')).toHaveLength(1);
    // The customer's messages reached the server exactly once each.
    const chats = sim.requestsFor('send', userId).filter((r) => (r.body as { controlType: string }).controlType === 'CHAT');
    expect(chats.map((r) => (r.body as { content: string }).content)).toEqual(['before reload', 'after reload']);

    restored.actor.send({ type: 'chat.end' });
    await restored.untilState('connected.survey-agent');
    restored.actor.send({ type: 'survey.skip' });
    expect((await finished(restored)).endReason).toBe('customer-ended');
    expect(violationsOf(sim, userId)).toEqual([]);
  });
});

describe('after-hours and no-survey', () => {
  it('after hours: CONNECT answers 12, the customer leaves a message', async () => {
    const sim = await fastSimulator({ scenario: 'after-hours' });
    try {
      const rig = startSession(sim);
      const form = await rig.untilState('leave-message.form');
      expect(form.context.error).toMatchObject({ kind: 'business', resultCode: '12' });
      rig.actor.send({ type: 'leaveMessage.submit', caller: 'not a phone', message: 'x' });
      const rejected = await rig.until((s) => s.context.error !== null && 'code' in s.context.error);
      expect(rejected.context.error).toMatchObject({ code: 'invalid-caller' });
      rig.actor.send({ type: 'leaveMessage.submit', caller: '+86 138 6666 7777', message: 'please call me back' });
      const output = await finished(rig);
      expect(output.endReason).toBe('message-left');
      expect(rig.states).toEqual(['auth', 'connecting', 'leave-message.form', 'leave-message.submitting', 'disconnected']);
      expect(sim.session(rig.userId)?.leaveMessages).toEqual([
        expect.objectContaining({ caller: '+86 138 6666 7777', message: 'please call me back' }),
      ]);
      expect(violationsOf(sim, rig.userId)).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('no survey configured: the customer ends and goes straight to DISCONNECT', async () => {
    const sim = await fastSimulator({ scenario: 'no-survey' });
    try {
      const rig = startSession(sim, { loadHistory: true });
      await rig.until((s) => s.context.servedBy === 'agent');
      rig.actor.send({ type: 'message.send', text: 'hi' });
      await rig.until((s) => outgoing(s)[0]?.status === 'sent');
      rig.actor.send({ type: 'chat.end' });
      const output = await finished(rig);
      expect(output.endReason).toBe('customer-ended');
      expect(rig.states).toEqual(['auth', 'history', 'connecting', 'connected.queuing', 'connected.chatting', 'connected.ending', 'disconnecting', 'disconnected']);
      expect(sim.requestsFor('getSatisfactionSurveyMode', rig.userId)).toHaveLength(1);
      expect(sim.requestsFor('saveSatisfaction', rig.userId)).toHaveLength(0);
      expect(violationsOf(sim, rig.userId)).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
