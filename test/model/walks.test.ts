/**
 * Seeded random walks with shrinking on the real system, judged by named temporal oracles
 * (issue 14; walks.ts, temporal.ts, docs/testing.md "Random walks"):
 * - WALKS walks (default DEFAULT_WALKS) from WALK_SEED, of up to WALK_STEPS random steps each;
 *   a failing walk is shrunk and saved under test/model/replays/ (the test fails and says where);
 * - every saved replay runs as a regular test;
 * - each oracle is shown to fail: a deliberate fault (breakages.ts) is caught by exactly that
 *   oracle, shrunk to a walk from which no step can be dropped, saved and replayed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { budget } from '../support/timeBudget.js';
import { BREAKAGES } from './breakages.js';
import { variantByName } from './model.js';
import { ORACLE_NAMES, REPLAY_DIR, checkWalks, loadReplays, runWalk, saveReplay, walkTrail, type WalkReport } from './walks.js';

const DEFAULT_WALKS = 20;
const DEFAULT_SEED = 14_2026;
const WALKS = Number(process.env.WALKS ?? DEFAULT_WALKS);
const SEED = process.env.WALK_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.WALK_SEED ?? DEFAULT_SEED);
const MAX_STEPS = Number(process.env.WALK_STEPS ?? 25);
/** A hang detector that grows with the budget: a minute, plus 3 s per walk (a walk takes 0.1–0.5 s), scaled. */
const WALK_TIMEOUT_MS = budget(60_000 + 3_000 * WALKS);

const summary: string[] = [];
const started = Date.now();

function describeFailure(report: WalkReport): string {
  const f = report.failure!;
  return `${f.oracle ?? 'the runner'} failed; shrunk (${f.shrinks} shrinks) to ${f.trail.length} steps: ${f.trail.join(' → ')}\n${f.message}`;
}

describe('seeded random walks on the real system', () => {
  it(`${WALKS} walks (seed ${SEED}, up to ${MAX_STEPS} random steps each, then to the end) keep every temporal oracle`, async () => {
    const report = await checkWalks({ runs: WALKS, seed: SEED, maxSteps: MAX_STEPS });
    summary.push(`random walks: ${report.runs} (seed ${SEED}), ${report.steps} steps, ${report.failure ? 'FAILED' : 'every oracle held'}`);
    if (report.failure) {
      const file = saveReplay(REPLAY_DIR, report);
      throw new Error(`${describeFailure(report)}\nsaved as ${file}; reproduce: WALK_SEED=${SEED} npx vitest run test/model/walks.test.ts`);
    }
  }, WALK_TIMEOUT_MS);
});

describe('replay fixtures (test/model/replays)', () => {
  const fixtures = loadReplays();

  it('every fixture names a temporal oracle (or the runner) and a trail of catalog variants', () => {
    expect(fixtures.length, 'test/model/replays holds the fixtures').toBeGreaterThan(0);
    for (const { file, fixture } of fixtures) {
      expect([...ORACLE_NAMES, 'runner'], file).toContain(fixture.failed);
      expect(fixture.trail.filter((name) => !variantByName.has(name)), `${file}: unknown variants`).toEqual([]);
    }
  });

  for (const { file, fixture } of fixtures) {
    it(`${file} (${fixture.failed}) holds on the real system${fixture.found.breakage ? ', and still fails with its breakage' : ''}`, async () => {
      const real = await runWalk(fixture.trail);
      expect(real.violation?.message ?? null, 'temporal oracles').toBeNull();
      if (real.error) throw real.error;
      const breakage = BREAKAGES.find((b) => b.name === fixture.found.breakage);
      if (fixture.found.breakage) {
        expect(breakage, `the breakage "${fixture.found.breakage}" (breakages.ts)`).toBeDefined();
        expect((await runWalk(fixture.trail, breakage)).violation?.oracle, 'the fixture still reaches what its breakage breaks').toBe(fixture.failed);
      }
    });
  }
});

describe.concurrent('each temporal oracle can fail: a deliberate fault is caught, shrunk, saved and replayed', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  for (const breakage of BREAKAGES) {
    it(`${breakage.oracle}: ${breakage.name}`, async () => {
      const report = await checkWalks({ runs: 60, seed: DEFAULT_SEED, maxSteps: 12, breakage });
      const failure = report.failure;
      expect(failure, 'a walk fails').not.toBeNull();
      expect(failure?.oracle, describeFailure(report)).toBe(breakage.oracle);
      const choices = failure!.choices;
      // Minimal: without any one of its random steps, the walk no longer fails this way.
      for (let i = 0; i < choices.length; i += 1) {
        const shorter = walkTrail([...choices.slice(0, i), ...choices.slice(i + 1)]);
        expect((await runWalk(shorter, breakage)).violation?.oracle, `without step ${i + 1} of ${choices.length}`).not.toBe(breakage.oracle);
      }
      const dir = mkdtempSync(join(tmpdir(), 'aicc-replays-'));
      dirs.push(dir);
      saveReplay(dir, report, breakage);
      const [saved] = loadReplays(dir);
      expect(saved?.fixture.trail).toEqual(failure!.trail);
      expect((await runWalk(saved!.fixture.trail, breakage)).violation?.oracle, 'the saved replay fails the same way').toBe(breakage.oracle);
      const real = await runWalk(saved!.fixture.trail);
      expect([real.violation?.message ?? null, real.error], 'the same walk on the real system').toEqual([null, null]);
      summary.push(`oracle fires: ${breakage.oracle} ← ${breakage.name}: shrunk (${failure!.shrinks} shrinks) to ${choices.length} random + ${failure!.trail.length - choices.length} final steps`);
    });
  }
});

afterAll(() => {
  summary.push(`walks file: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(['', 'Random walks (test/model/walks.test.ts)', ...summary].join('\n'));
});
