/**
 * Seeded random walks over the model, executed on the real system (issue 14). A walk is a list
 * of choices (fast-check generates and shrinks it): at each model state the choice picks one of
 * the events `eventsFor` offers there (user events and simulator scripting with their payload
 * variants, the outcomes of the requests in flight, a due timer on the SimulatedClock), modulo
 * how many there are; when the choices run out, the shortest way to the session's end follows
 * (finishing events only: outcomes, timers, chat.end, skips). The trail runs against the
 * simulator through the same runner as the generated paths (runner.ts, with every step matched
 * and checked), and the named temporal oracles (temporal.ts) judge the trace: the always/never
 * ones after every step (the run stops at the first violation), the eventually ones at the end.
 * A session a failed step left unfinished is driven to its end first (PathRun.drain).
 *
 * A failing walk is shrunk by fast-check to a minimal one (no step can be dropped) and saved as a
 * replay fixture (a JSON file with the variant trail) that runs as a regular test (walks.test.ts).
 */
import fc from 'fast-check';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fnv1a32 } from '../../src/client/hash.js';
import { INITIAL_SNAPSHOT, eventsFor, modelTransition, variantOf, vertexKey } from './model.js';
import { onFrozenClock, replay } from './paths.js';
import { EXECUTOR, PathRun } from './runner.js';
import { OracleViolation, TEMPORAL_ORACLES, firstViolation } from './temporal.js';
import type { Breakage, ModelEvent, ModelSnapshot } from './types.js';

/** What ends a session fastest: the events the finishing part of a walk may take. */
const FINISHERS: ReadonlySet<string> = new Set(['chat.end', 'chat.end (request held)', 'survey.skip', 'leaveMessage.skip', 'connection.online', 'page.visible']);

function finishing(s: ModelSnapshot): ModelEvent[] {
  return eventsFor(s).filter((e) => {
    const kind = variantOf(e.variant).kind;
    return kind === 'start' || kind === 'outcome' || kind === 'spontaneous' || kind === 'timer' || FINISHERS.has(e.variant);
  });
}

/** The shortest way (finishing events only) from a model state to the session's end. */
function toTheEnd(from: ModelSnapshot): string[] {
  const seen = new Set([vertexKey(from)]);
  let frontier: { state: ModelSnapshot; trail: string[] }[] = [{ state: from, trail: [] }];
  for (let depth = 0; depth < 24 && frontier.length > 0; depth += 1) {
    const next: typeof frontier = [];
    for (const { state, trail } of frontier) {
      if (state.machine?.status === 'done') return trail;
      for (const event of finishing(state)) {
        const after = modelTransition(state, event);
        const key = vertexKey(after);
        if (seen.has(key)) continue;
        seen.add(key);
        next.push({ state: after, trail: [...trail, event.variant] });
      }
    }
    frontier = next;
  }
  throw new Error(`walk: no way to the end of the session from ${vertexKey(from)}`);
}

/** Does this step end the conversation (DISCONNECT next, or the session is over)? */
function ends(after: ModelSnapshot): boolean {
  return after.machine?.status === 'done' || after.machine?.matches('disconnecting' as never) === true;
}

/** A choice: which offered event, 0..CHOICES-1. */
const CHOICES = 64;
/** Choices from here on pick among every offered event, those that end the conversation too. */
const ANY_FROM = 56;

/**
 * The variant trail of a walk: the chosen events, then the way to the end. A choice picks among
 * the events that keep the conversation going, or one time in eight among all of them, so that
 * walks get somewhere before they end.
 */
export function walkTrail(choices: readonly number[]): string[] {
  return onFrozenClock(() => {
    let state = INITIAL_SNAPSHOT;
    const trail: string[] = [];
    for (const choice of choices) {
      const offered = eventsFor(state).map((event) => ({ event, after: modelTransition(state, event) }));
      if (offered.length === 0) break;
      const going = offered.filter((o) => !ends(o.after));
      const pool = going.length > 0 && choice < ANY_FROM ? going : offered;
      const { event, after } = pool[choice % pool.length]!;
      state = after;
      trail.push(event.variant);
    }
    return [...trail, ...toTheEnd(state)];
  });
}

export interface WalkOutcome {
  trail: string[];
  /** The first temporal oracle the run violated, if any. */
  violation: OracleViolation | null;
  /** The runner's own failure (a step the real actor did not take as the model said), if any. */
  error: unknown;
}

/** Runs a trail on the real system and judges it with the temporal oracles. */
export async function runWalk(trail: readonly string[], breakage?: Breakage): Promise<WalkOutcome> {
  const path = onFrozenClock(() => replay(trail));
  const run = await PathRun.create(breakage ? { breakage } : {});
  let error: unknown = null;
  try {
    await run.run(path, EXECUTOR, () => {
      const unsafe = firstViolation(run.trace(), ['always', 'never']);
      if (unsafe) throw unsafe;
    });
  } catch (caught) {
    error = caught;
  }
  try {
    if (!(error instanceof OracleViolation)) await run.drain();
    const violation = error instanceof OracleViolation ? error : firstViolation(run.trace());
    return { trail: [...trail], violation, error: violation ? null : error };
  } finally {
    await run.dispose();
  }
}

export interface WalkSettings {
  runs: number;
  seed: number;
  /** Most random choices per walk (the way to the end comes on top). */
  maxSteps: number;
  breakage?: Breakage;
}

export interface WalkReport {
  runs: number;
  seed: number;
  /** Steps executed over all walks of the search (not counting shrinking). */
  steps: number;
  failure: null | {
    /** The shrunk walk. */
    trail: string[];
    choices: number[];
    oracle: string | null;
    message: string;
    shrinks: number;
    /** fast-check's replay handle: `{ seed, path }` reproduce the shrunk walk. */
    path: string;
  };
}

/** Runs `runs` seeded walks; on a failure, fast-check shrinks it to a minimal walk. */
export async function checkWalks(settings: WalkSettings): Promise<WalkReport> {
  let steps = 0;
  let shrinking = false;
  // Shrinking drops choices and keeps the others as they are: a changed choice would be another
  // walk, not a smaller one. The result is a walk from which no single step can be dropped.
  const choice = fc.noShrink(fc.nat({ max: CHOICES - 1 }));
  const property = fc.asyncProperty(fc.array(choice, { maxLength: settings.maxSteps, size: 'max' }), async (choices) => {
    const trail = walkTrail(choices);
    if (!shrinking) steps += trail.length;
    const t0 = Date.now();
    const outcome = await runWalk(trail, settings.breakage);
    if (process.env.DEBUG_WALKS) console.log(`${Date.now() - t0} ms ${outcome.violation?.oracle ?? (outcome.error ? 'runner' : 'ok')}: ${trail.join(' → ')}`);
    if (outcome.violation) {
      shrinking = true;
      throw outcome.violation;
    }
    if (outcome.error) {
      shrinking = true;
      throw outcome.error;
    }
  });
  const details = await fc.check(property, { numRuns: settings.runs, seed: settings.seed });
  if (!details.failed || details.counterexample === null) return { runs: details.numRuns, seed: settings.seed, steps, failure: null };
  const [choices] = details.counterexample;
  const error = details.errorInstance;
  return {
    runs: details.numRuns,
    seed: settings.seed,
    steps,
    failure: {
      trail: walkTrail(choices),
      choices,
      oracle: error instanceof OracleViolation ? error.oracle : null,
      message: error instanceof Error ? error.message : String(error),
      shrinks: details.numShrinks,
      path: details.counterexamplePath ?? '',
    },
  };
}

/** A saved failing walk: its trail runs as a regular test (walks.test.ts). */
export interface ReplayFixture {
  /** What failed: the oracle's name, or "runner" for a step the real actor took otherwise. */
  failed: string;
  message: string;
  /** The variant trail (test/model/variants.ts names), the way to the end included. */
  trail: string[];
  /** How it was found: `WALK_SEED=<seed>` with fast-check's path, and the choices. */
  found: { seed: number; path: string; choices: number[]; breakage?: string };
}

export const REPLAY_DIR = join(import.meta.dirname, 'replays');

export function saveReplay(dir: string, report: WalkReport, breakage?: Breakage): string {
  const failure = report.failure;
  if (!failure) throw new Error('nothing failed: nothing to save');
  const fixture: ReplayFixture = {
    failed: failure.oracle ?? 'runner',
    message: failure.message.split('\n')[0] ?? '',
    trail: failure.trail,
    found: { seed: report.seed, path: failure.path, choices: failure.choices, ...(breakage ? { breakage: breakage.name } : {}) },
  };
  const slug = fixture.failed.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${slug}-${fnv1a32(fixture.trail.join('\n')).toString(16).padStart(8, '0')}.json`);
  writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
  return file;
}

export function loadReplays(dir: string = REPLAY_DIR): { file: string; fixture: ReplayFixture }[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.sort().map((file) => ({ file, fixture: JSON.parse(readFileSync(join(dir, file), 'utf8')) as ReplayFixture }));
}

export const ORACLE_NAMES: readonly string[] = TEMPORAL_ORACLES.map((o) => o.name);
