/** bench/scale.ts's judgement: a round that measured nothing is invalid, N holds on two valid passes. */
import { describe, expect, it } from 'vitest';
import { holds, judgeAttempt, type AttemptFigures } from '../../bench/lib/scaleVerdict.js';

const good: AttemptFigures = { n: 100, chatting: 100, sent: 200, injected: 200, received: 200, eventLoopSamples: 3000, deliveryP99Ms: 12, errors: 0, majorGcs: 1 };

describe('scale bench verdicts', () => {
  it('rejects a round that sent nothing, injected nothing or sampled no event-loop delay as invalid, not as a result', () => {
    expect(judgeAttempt({ ...good, sent: 0 }, 250)).toEqual({ invalid: 'no customer message was sent' });
    expect(judgeAttempt({ ...good, injected: 0, received: 0 }, 250)).toEqual({ invalid: 'no agent message was injected' });
    expect(judgeAttempt({ ...good, eventLoopSamples: 0 }, 250)).toEqual({ invalid: 'no event-loop delay sample was taken' });
  });

  it('fails a valid round on sessions not chatting, p99 at the limit, errors or lost messages; passes otherwise', () => {
    expect(judgeAttempt(good, 250)).toEqual({ pass: true });
    expect(judgeAttempt({ ...good, chatting: 97 }, 250)).toEqual({ pass: false, why: '3 sessions never reached chatting' });
    expect(judgeAttempt({ ...good, deliveryP99Ms: 250 }, 250)).toEqual({ pass: false, why: 'p99 delivery 250 ms >= 250 ms' });
    expect(judgeAttempt({ ...good, deliveryP99Ms: Number.NaN }, 250)).toMatchObject({ pass: false });
    expect(judgeAttempt({ ...good, errors: 2 }, 250)).toEqual({ pass: false, why: '2 errors' });
    // Nothing received of what was injected is a failure (everything lost), not an invalid round.
    expect(judgeAttempt({ ...good, received: 0 }, 250)).toEqual({ pass: false, why: '200 injected messages not delivered' });
  });

  it('says when a pass saw no major GC: the stall that decides p99 at scale may not have come yet', () => {
    expect(judgeAttempt({ ...good, majorGcs: 0 }, 250)).toEqual({ pass: true, note: 'no major GC in the window' });
    expect(judgeAttempt({ ...good, majorGcs: 0, deliveryP99Ms: 300 }, 250)).toEqual({ pass: false, why: 'p99 delivery 300 ms >= 250 ms' });
  });

  it('holds N only with two valid attempts that both passed (invalid ones do not count)', () => {
    expect(holds([{ pass: true }, { pass: true }], 2)).toBe(true);
    expect(holds([{ pass: true }, { pass: false }], 2)).toBe(false);
    expect(holds([{ pass: true }], 2)).toBe(false);
    expect(holds([{ pass: false, invalid: 'no customer message was sent' }, { pass: true }, { pass: true }], 2)).toBe(true);
    expect(holds([{ pass: false, invalid: 'no customer message was sent' }, { pass: true }], 2)).toBe(false);
  });
});
