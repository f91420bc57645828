/**
 * Issue #12, Node side: one process owns a user. Two live sessions of one user through one
 * client would both CONNECT and both long-poll, and the service would split the conversation
 * between them; the second start is refused with a typed error instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatSession, ChatSessionConflictError } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { clientFor, fastSimulator, newUserId } from '../client/helpers.js';
import { TEST_TIMING } from '../integration/harness.js';
import { waitFor } from 'xstate';

let sim: Simulator;
beforeAll(async () => (sim = await fastSimulator({ scenario: 'robot-only' })));
afterAll(() => sim.close());

function sessionFor(rig: ReturnType<typeof clientFor>) {
  return createChatSession({
    client: rig.client,
    identity: { userId: rig.userId, userName: 'Ada', channelId: sim.channelId, locale: 'en_US' },
    timing: TEST_TIMING,
  });
}

describe('one live session per user and client', () => {
  it('a second start for the same user through the same client throws ChatSessionConflictError; the first runs on alone', async () => {
    const rig = clientFor(sim, {}, newUserId());
    const first = sessionFor(rig);
    first.start();
    await waitFor(first, (s) => s.matches({ connected: 'chatting' }));
    const second = sessionFor(rig);
    let thrown: unknown;
    try {
      second.start();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ChatSessionConflictError);
    expect(thrown).toMatchObject({ name: 'ChatSessionConflictError', code: 'session-already-live', userId: rig.userId });
    expect(second.getSnapshot().status).toBe('active');
    // The refused one never reached the server: one CONNECT, no overlapping polls.
    const connects = sim.requestsFor('send', rig.userId).filter((r) => (r.body as { controlType: string }).controlType === 'CONNECT');
    expect(connects).toHaveLength(1);
    expect(sim.violations.filter((v) => v.userId === rig.userId)).toEqual([]);
    first.stop();
  });

  it('once the first has stopped (or ended), the user may start again', async () => {
    const rig = clientFor(sim, {}, newUserId());
    const first = sessionFor(rig);
    first.start();
    await waitFor(first, (s) => s.matches({ connected: 'chatting' }));
    first.stop();
    const again = sessionFor(rig);
    again.start();
    await waitFor(again, (s) => s.matches({ connected: 'chatting' }));
    again.send({ type: 'chat.end' });
    await waitFor(again, (s) => s.matches({ connected: 'survey-robot' }) || s.status === 'done');
    again.send({ type: 'survey.skip' });
    await waitFor(again, (s) => s.status === 'done');
    const third = sessionFor(rig);
    third.start();
    await waitFor(third, (s) => s.matches({ connected: 'chatting' }));
    third.stop();
  });

  it('a session created but never started blocks nobody', async () => {
    const rig = clientFor(sim, {}, newUserId());
    sessionFor(rig); // created, never started (e.g. React StrictMode's discarded first render)
    const a = sessionFor(rig);
    a.start();
    await waitFor(a, (s) => s.matches({ connected: 'chatting' }));
    a.stop();
  });
});
