/**
 * The recovery behaviours the chaos run relies on, one at a time and deterministic, through
 * createChatSession (real machine, actors and axios client) against the simulator over HTTP:
 * resends in order after refused sends, outcome-unknown sends surfaced and not repeated,
 * offline / online and hidden / visible, reload mid-send and mid-poll, catch-up after a lost
 * batch, the final catch-up after DISCONNECT, a lost agent DISCONNECT.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bindBrowserConnectivity, createMemorySessionStorage, persistSession, type BrowserLike, type ChatSessionOutput } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { clientFor, fastSimulator, newUserId } from '../client/helpers.js';
import { incomingTexts, outgoing, startSession, type SessionRig } from '../integration/harness.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';
import { eventually, OUTLASTS_ANY_TEST_MS, sleep } from '../support/timeBudget.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function accepted(s: Simulator, userId: string): string[] {
  return (s.session(userId)?.transcript ?? []).filter((e) => e.direction === 'uplink').map((e) => String(e.content));
}

async function agentChat(options: Parameters<typeof startSession>[1] = {}, userId = newUserId()): Promise<SessionRig> {
  sim = await fastSimulator({ scenario: { name: 'agent-direct', initialQueuePosition: 0, agent: { reply: (text) => `re: ${text}` } } });
  const rig = startSession(sim, options, userId);
  await rig.until((s) => s.matches({ connected: 'chatting' }) && s.context.servedBy === 'agent');
  return rig;
}

async function finish(rig: SessionRig): Promise<ChatSessionOutput> {
  rig.actor.send({ type: 'chat.end' });
  const survey = await rig.until((s) => s.matches({ connected: 'survey-agent' }) || s.status === 'done');
  if (survey.status !== 'done') rig.actor.send({ type: 'survey.skip' });
  return (await rig.until((s) => s.status === 'done')).output as ChatSessionOutput;
}

describe('outbox under failing sends', () => {
  it('refused sends (503, 429) are resent in order; what was typed meanwhile waits behind them', async () => {
    const rig = await agentChat({ timing: { sendRetryBaseMs: 20, sendRetryMaxMs: 40 } });
    sim!.faults.next('send', { status: 503 }, 2);
    sim!.faults.next('send', { status: 429 });
    for (const text of ['one', 'two', 'three']) rig.actor.send({ type: 'message.send', text });
    const done = await rig.until((s) => outgoing(s).length === 3 && outgoing(s).every((e) => e.status === 'sent'));
    expect(outgoing(done).map((e) => [e.text, e.resends ?? 0])).toEqual([
      ['one', 3],
      ['two', 0],
      ['three', 0],
    ]);
    expect(accepted(sim!, rig.userId)).toEqual(['one', 'two', 'three']);
    await finish(rig);
  });

  it('an outcome-unknown send (answer slower than the timeout) is shown failed, not repeated; the queue goes on', async () => {
    const userId = newUserId();
    sim = await fastSimulator({ scenario: { name: 'agent-direct', initialQueuePosition: 0, agent: { reply: () => null } } });
    const rig = startSession(sim, {}, userId, clientFor(sim, { timeoutMs: 300 }, userId));
    await rig.until((s) => s.matches({ connected: 'chatting' }));
    sim.faults.next('send', { delayMs: 1_000 });
    rig.actor.send({ type: 'message.send', text: 'maybe' });
    rig.actor.send({ type: 'message.send', text: 'after' });
    const s = await rig.until((snap) => outgoing(snap).length === 2 && outgoing(snap).every((e) => e.status === 'sent' || e.status === 'failed'));
    expect(outgoing(s).map((e) => [e.text, e.status, (e.error as { outcomeUnknown?: boolean } | null)?.outcomeUnknown ?? null])).toEqual([
      ['maybe', 'failed', true],
      ['after', 'sent', null],
    ]);
    await sleep(50);
    expect(accepted(sim, userId)).toEqual(['maybe', 'after']); // the server has it once; nobody repeated it
    // The customer decides: a retry sends it again (visible in the transcript, same wire timestamp).
    rig.actor.send({ type: 'message.retry', key: outgoing(s)[0]!.key });
    await rig.until((snap) => outgoing(snap)[0]?.status === 'sent');
    expect(accepted(sim, userId)).toEqual(['maybe', 'after', 'maybe']);
    await finish(rig);
  });

  it('a send cut off by a reload is failed with an unknown outcome on the new page, not re-sent', async () => {
    const userId = newUserId();
    sim = await fastSimulator({ scenario: { name: 'agent-direct', initialQueuePosition: 0, agent: { reply: () => null } } });
    const storage = createMemorySessionStorage();
    const first = startSession(sim, {}, userId);
    persistSession(first.actor, storage);
    await first.until((s) => s.matches({ connected: 'chatting' }));
    sim.faults.next('send', { delayMs: 400 }); // processed at once, answered later
    first.actor.send({ type: 'message.send', text: 'in flight' });
    first.actor.send({ type: 'message.send', text: 'still queued' });
    await first.until((s) => outgoing(s)[0]?.status === 'sending');
    await sleep(50);
    first.actor.stop(); // the page goes away
    const second = startSession(sim, { snapshot: storage.load() }, userId);
    const s = await second.until((snap) => outgoing(snap).every((e) => e.status === 'sent' || e.status === 'failed'));
    expect(outgoing(s).map((e) => [e.text, e.status, (e.error as { outcomeUnknown?: boolean } | null)?.outcomeUnknown ?? null])).toEqual([
      ['in flight', 'failed', true],
      ['still queued', 'sent', null],
    ]);
    await sleep(450);
    expect(accepted(sim, userId)).toEqual(['in flight', 'still queued']);
    await finish(second);
  });
});

describe('connectivity and visibility', () => {
  it('offline: no poll storm, typed messages wait; online: polls at once, sends in order, nothing lost', async () => {
    const rig = await agentChat();
    const polls = () => sim!.requestsFor('poll', rig.userId).length;
    rig.actor.send({ type: 'connection.offline' });
    await sleep(30);
    const before = polls();
    rig.actor.send({ type: 'message.send', text: 'typed offline 1' });
    rig.actor.send({ type: 'message.send', text: 'typed offline 2' });
    sim!.agent.say(rig.userId, 'said while you were offline');
    await sleep(600); // four long-poll windows
    expect(polls() - before, 'at most the poll that was already in flight').toBeLessThanOrEqual(1);
    expect(outgoing(rig.actor.getSnapshot()).map((e) => e.status)).toEqual(['queued', 'queued']);
    expect(accepted(sim!, rig.userId)).toEqual([]);
    rig.actor.send({ type: 'connection.online' });
    const back = await rig.until((s) => outgoing(s).every((e) => e.status === 'sent') && incomingTexts(s, 'AGENT').includes('said while you were offline'));
    expect(back.context.connection.online).toBe(true);
    expect(accepted(sim!, rig.userId)).toEqual(['typed offline 1', 'typed offline 2']);
    await finish(rig);
  });

  it('an offline spell longer than the server keeps a quiet session ends it as session-released, typed', async () => {
    sim = await fastSimulator({ scenario: { name: 'agent-direct', initialQueuePosition: 0 }, timing: { sessionIdleTimeoutMs: 300 } });
    const rig = startSession(sim);
    await rig.until((s) => s.matches({ connected: 'chatting' }));
    rig.actor.send({ type: 'connection.offline' });
    await sleep(700);
    rig.actor.send({ type: 'connection.online' });
    const ended = await rig.until((s) => s.matches({ connected: 'survey-agent' }) || s.status === 'done');
    expect(ended.context.endReason).toBe('session-released');
  });

  it('hidden: keeps long-polling by default; with hiddenPollDelayMs it pauses, and visible cuts the pause short', async () => {
    // A pause no test outlives: the message can only arrive because visible cut the pause short.
    const rig = await agentChat({ timing: { hiddenPollDelayMs: OUTLASTS_ANY_TEST_MS } });
    const polls = () => sim!.requestsFor('poll', rig.userId).length;
    rig.actor.send({ type: 'page.hidden' });
    await sleep(450); // the poll in flight ends after its window, then the pause begins
    const during = polls();
    await sleep(400);
    expect(polls(), 'no poll while paused').toBe(during);
    sim!.agent.say(rig.userId, 'while hidden');
    rig.actor.send({ type: 'page.visible' });
    await rig.until((s) => incomingTexts(s, 'AGENT').includes('while hidden'));
    await finish(rig);
  });

  it('visible after a suspension: a poll in flight for too long is replaced at once', async () => {
    const rig = await agentChat({ timing: { pollStaleMs: 100 } });
    // The next poll hangs (a dead socket) for longer than any test runs: only a replacement can deliver.
    sim!.faults.next('poll', { delayMs: OUTLASTS_ANY_TEST_MS });
    await eventually(() => sim!.requestsFor('poll', rig.userId).some((r) => r.fault === 'delay'), { what: 'the hung poll at the server' });
    // Minimum ages, which load only lengthens: the hung poll is now older than pollStaleMs (100; the
    // client started it before the server saw it), and its window (150, a timer in this same event
    // loop, set before this one) has closed, so the next message waits for the replacement poll.
    await sleep(200);
    const polls = sim!.requestsFor('poll', rig.userId).length;
    sim!.agent.say(rig.userId, 'after the wake-up');
    rig.actor.send({ type: 'page.visible' });
    await rig.until((s) => incomingTexts(s, 'AGENT').includes('after the wake-up'));
    await eventually(() => sim!.requestsFor('poll', rig.userId).length > polls, { what: 'a new poll replacing the hung one' });
    expect(sim!.requestsFor('poll', rig.userId).length, 'a new poll replaced the hung one').toBeGreaterThan(polls);
    expect(sim!.requestsFor('poll', rig.userId).some((r) => r.abandoned), 'the hung poll was given up').toBe(true);
    await finish(rig);
  });

  it('bindBrowserConnectivity reports the current state and every change, and unbinds', () => {
    const listeners = new Map<string, () => void>();
    const doc = {
      visibilityState: 'hidden',
      addEventListener: (type: string, fn: () => void) => listeners.set(`doc:${type}`, fn),
      removeEventListener: (type: string) => listeners.delete(`doc:${type}`),
    };
    const win: BrowserLike = {
      navigator: { onLine: false },
      document: doc,
      addEventListener: (type: string, fn: () => void) => listeners.set(type, fn),
      removeEventListener: (type: string) => listeners.delete(type),
    };
    const sent: string[] = [];
    const unbind = bindBrowserConnectivity({ send: (e) => sent.push(e.type) }, win);
    expect(sent).toEqual(['connection.offline', 'page.hidden']);
    listeners.get('online')?.();
    doc.visibilityState = 'visible';
    listeners.get('doc:visibilitychange')?.();
    listeners.get('offline')?.();
    expect(sent.slice(2)).toEqual(['connection.online', 'page.visible', 'connection.offline']);
    unbind();
    expect(listeners.size).toBe(0);
  });
});

describe('catching up', () => {
  it('a poll batch lost in transit is recovered from history, once, in order', async () => {
    const rig = await agentChat();
    sim!.faults.next('poll', { reset: true, afterProcessing: true });
    sim!.agent.say(rig.userId, 'lost 1');
    sim!.agent.say(rig.userId, 'lost 2');
    await sleep(20);
    sim!.agent.say(rig.userId, 'after');
    const s = await rig.until((snap) => incomingTexts(snap, 'AGENT').includes('after'));
    expect(incomingTexts(s, 'AGENT').slice(-3)).toEqual(['lost 1', 'lost 2', 'after']);
    expect(new Set(transcriptEntries(s.context.transcript).map((e) => e.key)).size).toBe(s.context.transcript.length);
    await finish(rig);
  });

  it('a batch handed out to a page that went away is recovered by the restored page', async () => {
    const userId = newUserId();
    sim = await fastSimulator({ scenario: { name: 'agent-direct', initialQueuePosition: 0, agent: { reply: () => null } } });
    const storage = createMemorySessionStorage();
    const first = startSession(sim, {}, userId);
    persistSession(first.actor, storage);
    await first.until((s) => s.matches({ connected: 'chatting' }) && incomingTexts(s, 'AGENT').length === 1);
    sim.faults.next('poll', { reset: true, afterProcessing: true }); // the old page's last poll answer never arrives
    await sleep(250);
    sim.agent.say(userId, 'while reloading');
    await sleep(50);
    first.actor.stop();
    const second = startSession(sim, { snapshot: storage.load() }, userId);
    const s = await second.until((snap) => incomingTexts(snap, 'AGENT').includes('while reloading'));
    expect(incomingTexts(s, 'AGENT').filter((t) => t === 'while reloading')).toHaveLength(1);
    await finish(second);
  });

  it('what arrives while the customer ends the chat is still in the final transcript', async () => {
    const rig = await agentChat({}, newUserId());
    sim!.faults.next('poll', { reset: true, afterProcessing: true });
    sim!.agent.say(rig.userId, 'last words');
    await sleep(5);
    const output = await finish(rig);
    const texts = output.transcript.flatMap((e) => (e.kind === 'incoming' && e.message.controlType === 'CHAT' && e.message.content.mediaType === 'TEXT' ? [e.message.content.text] : []));
    expect(texts).toContain('last words');
  });

  it("an agent's DISCONNECT lost in transit is detected: the session ends session-released", async () => {
    const rig = await agentChat();
    sim!.faults.next('poll', { reset: true, afterProcessing: true });
    sim!.agent.end(rig.userId);
    const s = await rig.until((snap) => !snap.matches({ connected: 'chatting' }));
    expect(s.context.endReason).toBe('session-released');
    expect(transcriptEntries(s.context.transcript).some((e) => e.key.startsWith('lost-disconnect:'))).toBe(true);
  });

  // Trace chaos-501-165 (docs/reliability.md): the DISCONNECT went to a poll whose answer never
  // arrived, and the liveness question after it went unanswered too. The polls after that are
  // answered, empty (the DISCONNECT was handed out already), so no failure asks again.
  it.each([
    ['a 503', { status: 503 }],
    ['a reset', { reset: true }],
  ] as const)("an agent's DISCONNECT lost in transit, the liveness check after it failing (%s): still detected", async (_, fault) => {
    const rig = await agentChat();
    sim!.faults.next('poll', { reset: true, afterProcessing: true });
    // Twice: the queue watcher's last question may still arrive and take one.
    sim!.faults.next('queryQueueInfo', fault, 2);
    sim!.agent.end(rig.userId);
    const s = await rig.until((snap) => !snap.matches({ connected: 'chatting' }));
    expect(s.context.endReason).toBe('session-released');
    expect(transcriptEntries(s.context.transcript).some((e) => e.key.startsWith('lost-disconnect:'))).toBe(true);
    const lostPoll = sim!.requestsFor('poll', rig.userId).find((r) => r.fault === 'reset')!;
    const checksAfter = sim!.requestsFor('queryQueueInfo').filter((r) => r.seq > lostPoll.seq);
    expect(checksAfter.filter((r) => r.fault !== undefined).length).toBeGreaterThanOrEqual(1);
    expect(checksAfter.at(-1)?.fault).toBeUndefined();
  });
});
