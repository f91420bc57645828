/**
 * XState's work per message, counted: every microstep rebuilds part of the snapshot and every
 * external event is a macrostep, so these counts are what the overhead benchmark's CPU ratio is
 * made of (docs/performance.md, "Overhead"). A change that adds a step to the hot path fails
 * here, with the step named, before it shows up as noise in a benchmark.
 */
import { describe, expect, it } from 'vitest';
import { waitFor, type InspectionEvent } from 'xstate';
import { fakeActors, ok, robotText, startSession } from './helpers.js';

/** Microsteps per event type the session handled, while `during` runs. */
async function microstepsDuring(actor: ReturnType<typeof startSession>['actor'], during: () => Promise<void>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const subscription = actor.system.inspect((event: InspectionEvent) => {
    if (event.type === '@xstate.microstep' && event.actorRef === actor) counts[event.event.type] = (counts[event.event.type] ?? 0) + 1;
  });
  try {
    await during();
  } finally {
    subscription.unsubscribe();
  }
  return counts;
}

describe('work per message round trip', () => {
  it('a message sent and answered takes three microsteps: on the wire, sent, the answer', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'chatting' }));
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [robotText('r1', 'Welcome', '1')] });

    const counts = await microstepsDuring(actor, async () => {
      actor.send({ type: 'message.send', text: 'version?' });
      await waitFor(actor, (s) => s.context.outbox.length === 0);
      fakes.pollLoop.emit({ type: 'poll.messages', messages: [robotText('r2', 'Version 2', '2')] });
    });

    // message.send with nothing queued, online: queued and on the wire in one step (no eventless
    // outbox.idle → sending after it). The answer needs no `outbox.flush` round: nothing waits
    // for a resend.
    expect(counts).toEqual({ 'message.send': 1, 'message.sent': 1, 'poll.messages': 1 });
    expect(actor.getSnapshot().context.transcript.length).toBe(3);
  });
});
