/**
 * `npm run test:mutation`: every mutant (mutants.ts) against the model-based suite, in worker
 * processes, each time-boxed; prints the mutation score and every survivor, writes
 * test/mutation/results/full.json and the tables in docs/testing.md ("Mutation testing").
 *
 *   npm run test:mutation                          # the picked mutants (mutants.ts: PER_RULE)
 *   npm run test:mutation -- --all                 # every generated mutant
 *   npm run test:mutation -- --only 'poll|retarget'   # ids matching a regular expression (no docs written)
 *   npm run test:mutation -- --id 'actor:poll-no-backoff' --id '…'   # exactly these mutants (no docs written)
 *   npm run test:mutation -- --rerun-survivors     # the last run's survivors again (and mutants it has no verdict for), merged into its report
 *   npm run test:mutation -- --workers 1
 *
 * Exits non-zero when the score is below the target or a survivor is not classified.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { planPaths } from '../model/paths.js';
import { BASELINE, PER_RULE, PICK_SEED, RULES, allMutants, pickedMutants } from './mutants.js';
import { mutantTimeBox, runMutants } from './pool.js';
import { SCORE_TARGET, markdown, summarize, type MutationReport } from './report.js';
import { suiteOf, writeSuite } from './suite.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    id: { type: 'string', multiple: true },
    all: { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    'rerun-survivors': { type: 'boolean', default: false },
    workers: { type: 'string', default: String(availableParallelism()) },
    out: { type: 'string', default: join(import.meta.dirname, 'results', 'full.json') },
  },
});
const workers = Number(values.workers);
const root = join(import.meta.dirname, '../..');
const startedAt = new Date();
const loadStart = loadavg();
const t0 = Date.now();

const generated = allMutants();

/** The tables into docs/testing.md (between the markers) and the report as JSON. */
function publish(report: MutationReport): void {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(report, null, 1)}\n`);
  const docs = join(root, 'docs', 'testing.md');
  const begin = '<!-- mutation-run:begin (npm run test:mutation writes this) -->';
  const end = '<!-- mutation-run:end -->';
  const page = readFileSync(docs, 'utf8');
  const at = page.indexOf(begin);
  const stop = page.indexOf(end);
  if (at < 0 || stop < at) throw new Error(`docs/testing.md has no ${begin} … ${end} section`);
  writeFileSync(docs, `${page.slice(0, at + begin.length)}\n${markdown(report)}\n${page.slice(stop)}`);
  console.log(`written: ${values.out}, docs/testing.md`);
}

function problemsOf(report: MutationReport): string[] {
  return [
    ...(report.score < SCORE_TARGET ? [`score ${(100 * report.score).toFixed(1)} % < ${100 * SCORE_TARGET} %`] : []),
    ...report.unclassified.map((id) => `survivor not classified: ${id}`),
    ...report.invalid.map((line) => `mutant could not be built: ${line}`),
    ...report.stale.map((id) => `survivors.ts lists ${id}, but it was killed`),
  ];
}

if (values['report-only']) {
  // The last run's verdicts, classified again with the current survivors.ts.
  const last = JSON.parse(readFileSync(values.out, 'utf8')) as MutationReport;
  const ran = new Set(last.verdicts.map((v) => v.id));
  const report = summarize(
    generated.filter((m) => ran.has(m.id)),
    last.verdicts,
    last.info,
  );
  console.log(markdown(report));
  publish(report);
  const problems = problemsOf(report);
  if (problems.length) console.error(problems.join('\n'));
  process.exit(problems.length ? 1 : 0);
}

// --id takes ids as they are (they hold `|` and `.`, which --only would read as a regular expression).
const ids = new Set(values.id ?? []);
const unknown = [...ids].filter((id) => !generated.some((m) => m.id === id));
if (unknown.length) {
  console.error(`no such mutant: ${unknown.join(', ')}`);
  process.exit(2);
}
const selecting = values.only !== undefined || ids.size > 0;
/**
 * --rerun-survivors: the last report, whose survivors run again and are merged into it, together
 * with every generated mutant it has no verdict for (new since, or renamed with the event or
 * state it changes), so the merged report still covers every generated mutant.
 */
const previous = values['rerun-survivors'] ? (JSON.parse(readFileSync(values.out, 'utf8')) as MutationReport) : null;
const judged = new Set(previous?.verdicts.map((v) => v.id) ?? []);
const rerun = new Set(previous?.verdicts.filter((v) => v.outcome === 'survived').map((v) => v.id) ?? []);
const mutants = (previous ? generated.filter((m) => rerun.has(m.id) || !judged.has(m.id)) : values.all || selecting ? generated : pickedMutants()).filter(
  (m) => (values.only === undefined || new RegExp(values.only).test(m.id)) && (ids.size === 0 || ids.has(m.id)),
);
console.log(`mutation run: ${mutants.length} of ${generated.length} generated mutants, ${workers} workers; planning the model…`);
const plan = planPaths();
const suite = suiteOf(plan);
const dir = mkdtempSync(join(tmpdir(), 'aicc-mutation-'));
const suiteFile = join(dir, 'suite.json');
writeSuite(suiteFile, suite);
console.log(`suite: ${suite.paths.length} paths, ${suite.walks.length} walks, ${suite.replays.length} replays, ${suite.scenarios.length} scenarios (planned in ${plan.millis} ms)`);

try {
  // The harness itself must let the shipped system through: otherwise every "kill" means nothing.
  const [baseline] = await runMutants([BASELINE.id], { suiteFile, workers: 1 });
  if (baseline?.outcome !== 'survived') {
    console.error(`the unchanged system does not pass the mutation harness (${baseline?.outcome}): ${JSON.stringify(baseline?.kill)}`);
    process.exit(2);
  }
  console.log(`baseline (no change) passes: ${baseline.ran} tests in ${(baseline.ms / 1000).toFixed(1)} s`);

  const box = mutantTimeBox();
  const verdicts = await runMutants(
    mutants.map((m) => m.id),
    {
      suiteFile,
      workers,
      onVerdict: (v, done, total) => {
        const how = v.outcome === 'killed' ? `${v.kill?.kind} in ${v.kill?.test}` : v.outcome;
        console.log(`[${done}/${total}] ${v.outcome.toUpperCase().padEnd(8)} ${v.id} (${how}; ${v.ran} tests, ${(v.ms / 1000).toFixed(1)} s)`);
        if (process.env.VERBOSE_MUTANTS && v.kill) console.log(`    ${v.kill.message}`);
      },
    },
  );
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
  if (previous) {
    // Verdicts of mutants no longer generated (renamed since) are dropped; their new ids ran now.
    const later = new Map(verdicts.map((v) => [v.id, v]));
    const current = new Set(generated.map((m) => m.id));
    const merged = [
      ...previous.verdicts.filter((v) => current.has(v.id)).map((v) => later.get(v.id) ?? v),
      ...verdicts.filter((v) => !judged.has(v.id)),
    ];
    const covered = new Set(merged.map((v) => v.id));
    const report = summarize(
      generated.filter((m) => covered.has(m.id)),
      merged,
      {
        ...previous.info,
        rerun: {
          started: startedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
          commit,
          durationS: Math.round((Date.now() - t0) / 1000),
          ran: verdicts.length,
          killed: verdicts.filter((v) => v.outcome !== 'survived' && v.outcome !== 'invalid').length,
          scenarios: suite.scenarios.length,
          unjudged: verdicts.filter((v) => !judged.has(v.id)).length,
        },
      },
    );
    console.log(`\n${markdown(report)}\n`);
    publish(report);
    const problems = problemsOf(report);
    if (problems.length) {
      console.error(problems.join('\n'));
      process.exitCode = 1;
    }
  } else {
    const report = summarize(mutants, verdicts, {
      generated: Object.fromEntries(RULES.map((rule) => [rule, generated.filter((m) => m.rule === rule).length])),
      picked: values.all ? 'every generated mutant (--all)' : `at most ${PER_RULE} per statechart rule, drawn with seed ${PICK_SEED}; every source mutant`,
      started: startedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
      commit,
      durationS: Math.round((Date.now() - t0) / 1000),
      load: { start: loadStart, end: loadavg() },
      workers,
      timeScale: `${Math.round(box.ms / 1000)} s per mutant at the start (idle 90 s ×${box.scale}, rescaled at each mutant's start)`,
      suite: { paths: suite.paths.length, walks: suite.walks.length, replays: suite.replays.length, scenarios: suite.scenarios.length },
    });
    console.log(`\n${markdown(report)}\n`);
    if (!selecting) publish(report);
    const problems = problemsOf(report);
    if (problems.length) {
      console.error(problems.join('\n'));
      process.exitCode = 1;
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
