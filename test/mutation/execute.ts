/**
 * Tries to kill one mutant: the generated model paths (the ones that take what the mutant
 * changed first), then seeded random walks and the replay fixtures, each run as a walk is
 * (runner.ts with every step matched and checked, the temporal oracles after every step and at
 * the end). The first failure kills the mutant; the runs still going are cancelled.
 */
import { PathRun, EXECUTOR } from '../model/runner.js';
import { onFrozenClock, replay } from '../model/paths.js';
import { OracleViolation, firstViolation } from '../model/temporal.js';
import type { Fault } from '../model/types.js';
import { SCENARIOS, type Scenario } from '../model/scenarios.js';
import type { Mutant } from './mutants.js';

/** A test of the suite, as the mutation run knows it: a variant trail, or a scenario by name. */
export interface Case {
  /** e.g. `path #047`, `walk 3`, `replay runner-621c620b.json`, `scenario offline`. */
  name: string;
  trail: string[];
  /** A scenario (test/model/scenarios.ts) instead of a trail. */
  scenario?: string;
}

/** What the mutation run runs: the model's paths, walks, replay fixtures and scenarios (suite.ts). */
export interface Suite {
  paths: Case[];
  walks: Case[];
  replays: Case[];
  scenarios: Case[];
}

/**
 * How a mutant was killed. `wait-timeout`: only by a wait that ran out (the event the step
 * expected never came, or a session that did not end); such a kill is listed apart.
 */
export type KillKind = 'mismatch' | 'docs-oracle' | 'context' | 'temporal-oracle' | 'check' | 'actor-error' | 'wait-timeout';

export interface Kill {
  kind: KillKind;
  test: string;
  message: string;
}

export interface Verdict {
  id: string;
  /**
   * killed / survived here; the pool adds `timeout` (the mutant's time box ran out) and `crashed`
   * (its worker died). `invalid`: the mutant could not be built (a bug of the mutant, not a kill).
   */
  outcome: 'killed' | 'survived' | 'timeout' | 'crashed' | 'invalid';
  kill: Kill | null;
  /** Tests started before the verdict. */
  ran: number;
  ms: number;
}

export const CONCURRENCY = 5;

function classify(error: unknown, actorStatus: string | undefined): KillKind {
  if (error instanceof OracleViolation) return 'temporal-oracle';
  const message = error instanceof Error ? error.message : String(error);
  if (actorStatus === 'error') return 'actor-error';
  if (message.includes('the real actor did something else')) return 'mismatch';
  if (message.includes('(docs/statechart.md)')) return 'docs-oracle';
  if (message.includes('context after step')) return 'context';
  if (/timed out after \d+ ms waiting/.test(message)) return 'wait-timeout';
  return 'check';
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 3).join(' / ').slice(0, 400);

/** The model transitions a trail takes (for ordering). */
function transitionsOf(trail: readonly string[]): Set<string> {
  return new Set(onFrozenClock(() => replay(trail)).steps.flatMap((s) => s.state.taken));
}

/**
 * The suite's tests for this mutant: the scenarios and then the paths about what it changed first
 * (paths shortest first), then the other paths, walks, replays and scenarios.
 */
export function ordered(suite: Suite, mutant: Pick<Mutant, 'focus'>): Case[] {
  const { transitions, variants } = mutant.focus;
  const focused = (c: Case) =>
    (variants !== null && c.trail.some((v) => variants.test(v))) || (transitions.length > 0 && [...transitionsOf(c.trail)].some((t) => transitions.includes(t)));
  const first = suite.paths.filter(focused).sort((a, b) => a.trail.length - b.trail.length);
  const scenariosFirst = suite.scenarios.filter((c) => variants !== null && variants.test(SCENARIO_BY_NAME.get(c.scenario ?? '')?.about ?? ''));
  return [
    ...scenariosFirst,
    ...first,
    ...suite.paths.filter((c) => !first.includes(c)),
    ...suite.walks,
    ...suite.replays,
    ...suite.scenarios.filter((c) => !scenariosFirst.includes(c)),
  ];
}

const SCENARIO_BY_NAME: ReadonlyMap<string, Scenario> = new Map(SCENARIOS.map((s) => [s.name, s]));

/** A scenario against the faulty system: null when it passes. */
async function runScenario(c: Case, name: string, fault: Fault, live: Set<PathRun>): Promise<Kill | null> {
  const scenario = SCENARIO_BY_NAME.get(name);
  if (!scenario) throw new Error(`the suite names a scenario scenarios.ts does not have: ${name}`);
  try {
    await scenario.run(fault, live);
    return null;
  } catch (error) {
    return { kind: classify(error, undefined), test: c.name, message: firstLine(error) };
  }
}

/** One test against the faulty system: null when it passes. */
async function runCase(c: Case, fault: Fault, live: Set<PathRun>): Promise<Kill | null> {
  if (c.scenario !== undefined) return runScenario(c, c.scenario, fault, live);
  const path = onFrozenClock(() => replay(c.trail));
  const run = await PathRun.create({ breakage: fault });
  live.add(run);
  let failure: unknown = null;
  try {
    await run.run(path, EXECUTOR, () => {
      const unsafe = firstViolation(run.trace(), ['always', 'never']);
      if (unsafe) throw unsafe;
    });
    await run.drain();
    failure = firstViolation(run.trace());
  } catch (error) {
    failure = error;
  } finally {
    live.delete(run);
    const status = run.trace().last?.status;
    await run.dispose();
    if (failure !== null) return { kind: classify(failure, status), test: c.name, message: firstLine(failure) };
  }
  return null;
}

/** Runs the cases CONCURRENCY at a time until one fails. */
export async function tryToKill(mutant: Mutant, suite: Suite, onError: (listener: (error: unknown) => void) => void): Promise<Verdict> {
  const started = Date.now();
  const cases = ordered(suite, mutant);
  const { fault, dispose } = await mutant.build();
  const live = new Set<PathRun>();
  let kill: Kill | null = null;
  let next = 0;
  // An error thrown where no test awaits it (an actor failing with no handler): the session crashed.
  onError((error) => {
    if (kill !== null) return;
    kill = { kind: 'actor-error', test: 'uncaught', message: firstLine(error) };
    for (const run of live) run.cancel();
  });
  const lane = async () => {
    while (kill === null && next < cases.length) {
      const c = cases[next++]!;
      const found = await runCase(c, fault, live);
      if (found && found.message !== 'cancelled' && kill === null) {
        kill = found;
        for (const run of live) run.cancel();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  } finally {
    dispose();
  }
  return { id: mutant.id, outcome: kill ? 'killed' : 'survived', kill, ran: next, ms: Date.now() - started };
}
