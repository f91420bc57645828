/**
 * The tests a mutation run runs, as variant trails: the generated model paths (planned once from
 * the shipped machine), seeded random walks and the replay fixtures; and the scenarios, by name. Written to a file the
 * workers read, so the model is planned once per run, not once per worker.
 */
import { writeFileSync } from 'node:fs';
import type { Plan } from '../model/paths.js';
import { loadReplays, walkTrail } from '../model/walks.js';
import { SCENARIOS } from '../model/scenarios.js';
import type { Suite } from './execute.js';

export const WALK_SEED = 14_2026;
export const WALK_COUNT = 20;
export const WALK_STEPS = 25;

/** Choices for walkTrail from a seed (a small LCG: reproducible, no dependency on fast-check's streams). */
function seededChoices(seed: number, count: number, length: number): number[][] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state;
  };
  return Array.from({ length: count }, () => Array.from({ length }, () => next() % 64));
}

export function suiteOf(plan: Pick<Plan, 'paths'>): Suite {
  return {
    paths: plan.paths.map((p) => ({ name: `path ${p.name.slice(0, p.name.indexOf(' '))}`, trail: p.variants })),
    walks: seededChoices(WALK_SEED, WALK_COUNT, WALK_STEPS).map((choices, i) => ({ name: `walk ${i + 1} (seed ${WALK_SEED})`, trail: walkTrail(choices) })),
    replays: loadReplays().map(({ file, fixture }) => ({ name: `replay ${file}`, trail: fixture.trail })),
    scenarios: SCENARIOS.map((s) => ({ name: `scenario ${s.name}`, trail: [], scenario: s.name })),
  };
}

export function writeSuite(file: string, suite: Suite): void {
  writeFileSync(file, JSON.stringify(suite));
}
