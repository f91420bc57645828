/**
 * Model-based tests of the shipped chat-session statechart (docs/testing.md).
 *
 * Paths are generated with xstate/graph from machines/chatSession.machine.ts itself (see
 * model.ts and paths.ts) and each one is executed against the real system: createChatSession
 * with the real actors and a real axios client, against a simulator over HTTP (runner.ts).
 * Coverage is counted from what the real actors did (their inspect stream) and the run fails
 * below 100% of state nodes and transitions (exclusions, with reasons, in coverage.ts), below
 * PAIR_THRESHOLD of the feasible transition pairs (pairs.ts), and unless every named guard was
 * seen both true and false by the real actors (guards.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EXCLUSIONS, TRANSITIONS, coverageReport, describeTransition } from './coverage.js';
import { GUARD_NAMES, guardReport } from './guards.js';
import { SYNTACTIC_PAIRS, infeasibleReasons, pairReport, pairsOf } from './pairs.js';
import { ORACLES } from './oracles.js';
import { planPaths } from './paths.js';
import { VARIANTS } from './variants.js';
import { EXECUTOR, PathRun, realCoverage } from './runner.js';
import { SAMPLE_IDLE_MS, SAMPLE_SEED, killSample, sampleMutants } from '../mutation/sample.js';
import { SOURCE_MUTANTS, mutatedSource } from '../mutation/sourceMutants.js';
import { budget } from '../support/timeBudget.js';

const plan = planPaths();
const infeasible = infeasibleReasons(plan.graph, plan.graph.feasible);
/** The real actors must take at least this share of the feasible transition pairs. */
const PAIR_THRESHOLD = 0.95;
const pairs = () => pairReport(realCoverage.pairs, plan.graph.feasible, plan.planned.pairs, infeasible, PAIR_THRESHOLD);

const runStarted = Date.now();
const outcome = { passed: 0, failed: 0 };

describe.concurrent(`chatSession model: ${plan.paths.length} generated paths against the simulator`, () => {
  for (const path of plan.paths) {
    it(path.name, async () => {
      const run = await PathRun.create();
      try {
        await run.run(path.statePath, EXECUTOR);
        outcome.passed += 1;
      } catch (error) {
        outcome.failed += 1;
        throw error;
      } finally {
        await run.dispose();
      }
    }); // vitest's testTimeout: a hang detector that scales (docs/testing.md, "Time limits")
  }
});

describe('chatSession model coverage', () => {
  it('exclusions name transitions that exist', () => {
    const ids = new Set(TRANSITIONS.map((t) => t.id));
    expect(Object.keys(EXCLUSIONS).filter((id) => !ids.has(id))).toEqual([]);
  });

  it('every event variant of the catalog is used by a generated path', () => {
    expect(VARIANTS.map((v) => v.name).filter((name) => !plan.planned.variants.has(name))).toEqual([]);
  });

  it('every oracle names a variant of the catalog', () => {
    const names = new Set(VARIANTS.map((v) => v.name));
    expect(Object.keys(ORACLES).filter((name) => !names.has(name))).toEqual([]);
  });

  it('the generated paths plan every state node, transition and variant', () => {
    expect(plan.unreachable, 'targets no generated path reaches').toEqual([]);
    const planned = TRANSITIONS.filter((t) => !(t.id in EXCLUSIONS) && !plan.planned.transitions.has(t.id)).map((t) => describeTransition(t.id));
    expect(planned, 'transitions no path plans').toEqual([]);
  });

  it('the real actors visited 100% of the state nodes and took 100% of the transitions', () => {
    const report = coverageReport(realCoverage.nodes, realCoverage.transitions, {
      nodes: plan.planned.nodes,
      transitions: plan.planned.transitions,
      paths: plan.paths.length,
      steps: plan.paths.reduce((n, p) => n + p.variants.length, 0),
    });
    expect(report.stateNodes.missing, 'state nodes the real actor never entered').toEqual([]);
    expect(report.transitions.missing.map(describeTransition), 'transitions the real actor never took').toEqual([]);
  });

  it('a transition pair is two consecutive microsteps; a microstep that takes nothing is looked through', () => {
    expect(pairsOf(['a'], [['b', 'c'], [], ['d']])).toEqual(['a >> b', 'a >> c', 'b >> d', 'c >> d']);
    expect(pairsOf([], [['a']])).toEqual([]);
  });

  it('every feasible pair is a syntactic one, and every other syntactic pair has the reason the search gives', () => {
    const syntactic = new Set(SYNTACTIC_PAIRS);
    expect([...plan.graph.feasible].filter((p) => !syntactic.has(p)), 'pairs the statechart says cannot follow each other').toEqual([]);
    expect(infeasible.size + plan.graph.feasible.size).toBe(syntactic.size);
  });

  it(`the real actors took at least ${100 * PAIR_THRESHOLD}% of the feasible transition pairs`, () => {
    const report = pairs();
    expect(plan.planned.pairs.size, 'the generated paths plan every feasible pair').toBe(plan.graph.feasible.size);
    expect(report.covered / report.feasible, `pairs taken: ${report.covered}/${report.feasible}; not taken: ${report.missing.slice(0, 10).join('; ')}`).toBeGreaterThanOrEqual(PAIR_THRESHOLD);
  });

  it('the guard-outcome check flags a guard seen one way, honours an allowance and flags a stale one', () => {
    const [first = '', second = ''] = GUARD_NAMES;
    const seen = new Map(GUARD_NAMES.map((name) => [name, { true: 1, false: name === first ? 0 : 1 }]));
    expect(guardReport(seen, {}).missing).toEqual([`${first}: never false`]);
    const allowed = guardReport(seen, { [first]: { missing: 'false', reason: 'constant' } });
    expect([allowed.missing, allowed.stale]).toEqual([[], []]);
    const stale = guardReport(seen, { [second]: { missing: 'true', reason: 'constant' }, noSuchGuard: { missing: 'true', reason: '' } });
    expect(stale.stale).toEqual([`${second}: allowed never true, but it was seen true`, 'noSuchGuard: no such guard']);
  });

  it('the real actors saw every named guard both true and false (or it is allowed one way, with the reason)', () => {
    const report = guardReport();
    expect(report.stale, 'allow-list entries (GUARD_ALLOWANCES in guards.ts) that no longer apply').toEqual([]);
    expect(report.missing, 'guard outcomes the real actors never saw').toEqual([]);
  });
});

// A few mutants the suite must kill (the whole run, with the score: npm run test:mutation).
describe('mutation sample (test/mutation, docs/testing.md "Mutation testing")', () => {
  const sample = sampleMutants();
  it(`${sample.length} mutants drawn with seed ${SAMPLE_SEED}, each of another rule, are all killed`, async () => {
    const verdicts = await killSample(plan, sample);
    const lines = verdicts.map((v) => `${v.outcome} ${v.id}${v.kill ? ` (${v.kill.kind} in ${v.kill.test})` : ''}, ${(v.ms / 1000).toFixed(1)} s`);
    mutationLines.push(...lines);
    expect(verdicts.filter((v) => v.outcome !== 'killed' && v.outcome !== 'timeout' && v.outcome !== 'crashed').map((v) => `${v.outcome}: ${v.id}`), lines.join('\n')).toEqual([]);
    expect(verdicts.map((v) => v.id).sort()).toEqual(sample.map((m) => m.id).sort());
  }, budget(SAMPLE_IDLE_MS));

  // A refactoring that moves the code a source mutant edits makes it stale: say so here, not
  // only in the full run (the code-shape work moved 13 of 37 at once).
  it('every source mutant still applies to exactly one place', () => {
    const stale = SOURCE_MUTANTS.flatMap((mutant) => {
      try {
        mutatedSource(mutant);
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    });
    expect(stale).toEqual([]);
  });
});

const mutationLines: string[] = [];

afterAll(() => {
  if (mutationLines.length) console.log(['mutation sample:', ...mutationLines].join('\n  '));
  const report = coverageReport(
    realCoverage.nodes,
    realCoverage.transitions,
    {
      nodes: plan.planned.nodes,
      transitions: plan.planned.transitions,
      paths: plan.paths.length,
      steps: plan.paths.reduce((n, p) => n + p.variants.length, 0),
    },
    [
      `model graph: ${plan.vertices} states, ${plan.edges} edges, ${plan.productStates} (state, last transitions) pairs; planned in ${plan.millis} ms; ${plan.planned.variants.size} event variants used`,
      `paths passed: ${outcome.passed}, failed: ${outcome.failed}; run time ${((Date.now() - runStarted) / 1000).toFixed(1)} s`,
    ],
  );
  console.log(report.table);
  console.log(pairs().table);
  console.log(guardReport().table);
});
