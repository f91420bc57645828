/**
 * The mutation sample of the default `npm test` (test/model/chatSession.model.test.ts): a few
 * mutants, picked by a fixed seed from different rules, that the suite must kill. The whole
 * run is `npm run test:mutation` (run.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plan } from '../model/paths.js';
import type { Verdict } from './execute.js';
import { allMutants, type Mutant } from './mutants.js';
import { MUTANT_IDLE_MS, runMutants } from './pool.js';
import { suiteOf, writeSuite } from './suite.js';
import { EQUIVALENT, MISSING } from './survivors.js';

export const SAMPLE_SIZE = 4;
/**
 * MUTATION_SAMPLE_SEED picks another sample. The default was chosen among seeds whose four
 * mutants the full run killed within the first paths: the sample shows, cheaply, that the
 * harness and the suite still bite; the score comes from the full run.
 */
export const SAMPLE_SEED = Number(process.env.MUTATION_SAMPLE_SEED ?? 37);
/** A hang detector for the whole sample: a worker's start, plus each mutant's own box. */
export const SAMPLE_IDLE_MS = 30_000 + SAMPLE_SIZE * MUTANT_IDLE_MS;

/** `size` mutants of distinct rules (rules and mutants drawn by the seed), no equivalent one. */
export function sampleMutants(seed: number = SAMPLE_SEED, size: number = SAMPLE_SIZE): Mutant[] {
  let state = seed >>> 0;
  const draw = (n: number) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state % n;
  };
  const candidates = allMutants().filter((m) => !(m.id in EQUIVALENT) && !(m.id in MISSING));
  const rules = [...new Set(candidates.map((m) => m.rule))];
  const picked: Mutant[] = [];
  while (picked.length < size && rules.length > 0) {
    const [rule] = rules.splice(draw(rules.length), 1);
    const ofRule = candidates.filter((m) => m.rule === rule);
    picked.push(ofRule[draw(ofRule.length)]!);
  }
  return picked;
}

/** Runs the sample in one worker process against the plan's paths, walks and replays. */
export async function killSample(plan: Pick<Plan, 'paths'>, mutants: readonly Mutant[]): Promise<Verdict[]> {
  const dir = mkdtempSync(join(tmpdir(), 'aicc-mutation-'));
  try {
    const suiteFile = join(dir, 'suite.json');
    writeSuite(suiteFile, suiteOf(plan));
    return await runMutants(
      mutants.map((m) => m.id),
      { suiteFile, workers: 1 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
