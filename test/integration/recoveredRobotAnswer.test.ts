/**
 * Found by the model-based suite's transition pairs (issue 14): the poll copy of a robot answer
 * first shown from history replaced the entry but not the session's lastInterIdx, so the robot
 * survey was not offered (or rated an older answer). The second test failed before the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';
import { startSession, type SessionSnapshot } from './harness.js';

// The first CONNECT is answered HTTP 500 (not processed): its outcome is unknown, so the retried
// session's poll loop first catches up from history, where the robot's greeting already is (history
// has no interIdx), then the poll brings the greeting with its interIdx. receiveMessages upgrades
// the history copy in place (upgradeRecovered) and now takes the interIdx too; before, lastInterIdx
// stayed null, so the robot survey was not offered (isRobotSurvey).
describe('a robot answer first recovered from history takes its interIdx from the poll copy', () => {
  let sim: Simulator;
  let userId: string;
  let seen: { historyCopyFirst: boolean; pollCopy: SessionSnapshot };

  beforeAll(async () => {
    // A short long-poll window: the probe polls of the retried CONNECT find no session and wait it out.
    sim = await startSimulator({ timing: { longPollWindowMs: 100 }, scenario: { connectTo: 'robot', agent: { reply: () => null } } });
    sim.faults.next('send', { status: 500 });
    const rig = startSession(sim, { timing: { connectRetries: 1 } });
    userId = rig.userId;
    const robotEntries = (s: SessionSnapshot) =>
      transcriptEntries(s.context.transcript).flatMap((e) => (e.kind === 'incoming' && e.message.controlType === 'CHAT' && e.message.sourceType === 'ROBOT' ? [e.message] : []));
    let historyCopyFirst = false;
    rig.actor.subscribe((s) => {
      if (robotEntries(s).some((m) => m.recovered === true)) historyCopyFirst = true;
    });
    const pollCopy = await rig.until((s) => robotEntries(s).some((m) => m.interIdx !== null));
    rig.actor.stop();
    seen = { historyCopyFirst, pollCopy };
  });

  afterAll(() => sim.close());

  it('reproduction: after a CONNECT answered 500 and retried, the greeting comes from history first, then by poll with its interIdx', () => {
    expect(sim.requestsFor('send').map((r) => r.status), 'the CONNECT answered 500, then the retried one').toEqual([500, 200]);
    expect(seen.historyCopyFirst, 'the greeting was shown from history first').toBe(true);
    expect(sim.session(userId)?.interIdx, "the robot's greeting interIdx").toBe('1');
  });

  it('lastInterIdx is the interIdx of the robot answer the customer sees', () => {
    expect(seen.pollCopy.context.bookkeeping.lastInterIdx).toBe(sim.session(userId)?.interIdx);
  });
});
