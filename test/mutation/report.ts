/**
 * The mutation score and the tables: mutants by rule (killed, killed only by a wait timeout,
 * timeout, crashed, survived), the score, every survivor with its classification.
 */
import type { KillKind, Verdict } from './execute.js';
import { RULES, type Mutant } from './mutants.js';
import { EQUIVALENT, MISSING } from './survivors.js';

export const SCORE_TARGET = 0.9;

export interface RunInfo {
  /** Mutants the rules generated, by rule (the run may take a seeded pick of them). */
  generated: Record<string, number>;
  picked: string;
  started: string;
  commit: string;
  durationS: number;
  load: { start: number[]; end: number[] };
  workers: number;
  timeScale: string;
  /** `scenarios`: absent in runs before test/model/scenarios.ts. */
  suite: { paths: number; walks: number; replays: number; scenarios?: number };
  /** `--rerun-survivors`: the run's survivors run again on a later commit, their verdicts merged in. */
  rerun?: {
    started: string;
    commit: string;
    durationS: number;
    ran: number;
    killed: number;
    scenarios: number;
    /** Of `ran`, mutants the full run had no verdict for: new since, or renamed (an event or state renamed). */
    unjudged?: number;
  };
}

export interface MutationReport {
  info: RunInfo;
  total: number;
  killed: number;
  equivalent: number;
  score: number;
  rawScore: number;
  byRule: { rule: string; generated: number; killed: number; killedByWait: number; timeout: number; crashed: number; survived: number; equivalent: number }[];
  byKind: Partial<Record<KillKind | 'timeout' | 'crashed', number>>;
  survivors: { id: string; description: string; equivalent: string | null; missing: string | null }[];
  unclassified: string[];
  /** Mutants that could not be built (not in the score: fix the mutant). */
  invalid: string[];
  /** EQUIVALENT entries that name no mutant of the run or one that was killed. */
  stale: string[];
  verdicts: (Verdict & { rule: string; description: string })[];
}

const isKilled = (v: Verdict) => v.outcome === 'killed' || v.outcome === 'timeout' || v.outcome === 'crashed';

export function summarize(mutants: readonly Mutant[], verdicts: readonly Verdict[], info: RunInfo): MutationReport {
  const byId = new Map(verdicts.map((v) => [v.id, v]));
  const rows = mutants.map((m) => ({ mutant: m, verdict: byId.get(m.id)! })).filter((r) => r.verdict && r.verdict.outcome !== 'invalid');
  const survivors = rows
    .filter((r) => r.verdict.outcome === 'survived')
    .map((r) => ({ id: r.mutant.id, description: r.mutant.description, equivalent: EQUIVALENT[r.mutant.id] ?? null, missing: MISSING[r.mutant.id] ?? null }));
  const equivalent = survivors.filter((s) => s.equivalent !== null).length;
  const killed = rows.filter((r) => isKilled(r.verdict)).length;
  const byKind: MutationReport['byKind'] = {};
  for (const { verdict } of rows) {
    const kind = verdict.outcome === 'timeout' || verdict.outcome === 'crashed' ? verdict.outcome : verdict.kill?.kind;
    if (kind) byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  const ran = new Set(rows.map((r) => r.mutant.id));
  return {
    info,
    total: rows.length,
    killed,
    equivalent,
    score: rows.length - equivalent === 0 ? 1 : killed / (rows.length - equivalent),
    rawScore: rows.length === 0 ? 1 : killed / rows.length,
    byRule: RULES.map((rule) => {
      const of = rows.filter((r) => r.mutant.rule === rule);
      const count = (f: (v: Verdict) => boolean) => of.filter((r) => f(r.verdict)).length;
      return {
        rule,
        generated: of.length,
        killed: count((v) => v.outcome === 'killed' && v.kill?.kind !== 'wait-timeout'),
        killedByWait: count((v) => v.outcome === 'killed' && v.kill?.kind === 'wait-timeout'),
        timeout: count((v) => v.outcome === 'timeout'),
        crashed: count((v) => v.outcome === 'crashed'),
        survived: count((v) => v.outcome === 'survived'),
        equivalent: of.filter((r) => r.verdict.outcome === 'survived' && EQUIVALENT[r.mutant.id]).length,
      };
    }).filter((r) => r.generated > 0),
    byKind,
    survivors,
    unclassified: survivors.filter((s) => s.equivalent === null && s.missing === null).map((s) => s.id),
    invalid: verdicts.filter((v) => v.outcome === 'invalid').map((v) => `${v.id}: ${v.kill?.message ?? ''}`),
    stale: [...Object.keys(EQUIVALENT), ...Object.keys(MISSING)].filter((id) => ran.has(id) && byId.get(id)?.outcome !== 'survived'),
    verdicts: rows.map((r) => ({ ...r.verdict, rule: r.mutant.rule, description: r.mutant.description })),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
/** A markdown table cell: ids have `|` in them. */
const cell = (text: string) => text.replaceAll('|', '\\|');
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

/** The markdown written to docs/testing.md between the mutation markers. */
export function markdown(r: MutationReport): string {
  const lines: string[] = [];
  const i = r.info;
  lines.push(
    `Last full run: ${i.started} on commit \`${i.commit}\`, ${i.workers} worker processes, **${(i.durationS / 60).toFixed(1)} min** wall; load average (1/5/15 min) ${load(i.load.start)} at the start, ${load(i.load.end)} at the end; time boxes ${i.timeScale}. Suite per mutant: ${i.suite.paths} generated paths, ${i.suite.walks} seeded walks, ${i.suite.replays} replay fixtures${i.suite.scenarios === undefined ? '' : `, ${i.suite.scenarios} scenarios (test/model/scenarios.ts)`}.`,
    ...(i.rerun
      ? [
          '',
          `Its ${i.rerun.ran - (i.rerun.unjudged ?? 0)} survivors${i.rerun.unjudged ? ` and ${i.rerun.unjudged} mutants it had no verdict for (new since, or renamed with the event or state they change)` : ''} ran again on commit \`${i.rerun.commit}\` (${i.rerun.started}, ${(i.rerun.durationS / 60).toFixed(1)} min, ${i.rerun.scenarios} scenarios; \`--rerun-survivors\`): ${i.rerun.killed} of them killed there; their verdicts below are the later ones. The mutants the full run killed were not run again (between the two commits tests were added, events renamed and one exit action changed: CHANGELOG).`,
        ]
      : []),
    '',
    `**Mutation score: ${pct(r.score)}** (${r.killed} killed of ${r.total - r.equivalent} non-equivalent mutants; ${r.total} generated, ${r.equivalent} equivalent; ${pct(r.rawScore)} counting the equivalent ones as survivors). Target ${pct(SCORE_TARGET)}.`,
    '',
    `Mutants run: ${i.picked}.`,
    '',
    '| rule | generated | run | killed by a check | killed only by a wait timeout | timeout (time box) | crashed | survived | of which equivalent |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const sum = (f: (x: MutationReport['byRule'][number]) => number) => r.byRule.reduce((n, x) => n + f(x), 0);
  for (const x of r.byRule) lines.push(`| ${x.rule} | ${i.generated[x.rule] ?? '?'} | ${x.generated} | ${x.killed} | ${x.killedByWait} | ${x.timeout} | ${x.crashed} | ${x.survived} | ${x.equivalent} |`);
  lines.push(
    `| **all** | ${Object.values(i.generated).reduce((n, x) => n + x, 0)} | **${sum((x) => x.generated)}** | ${sum((x) => x.killed)} | ${sum((x) => x.killedByWait)} | ${sum((x) => x.timeout)} | ${sum((x) => x.crashed)} | ${sum((x) => x.survived)} | ${sum((x) => x.equivalent)} |`,
    '',
    'What killed them (the first failing check of each killed mutant):',
    '',
    '| kind | mutants |',
    '|---|---:|',
    ...Object.entries(r.byKind)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `| ${KIND_LABELS[k as keyof typeof KIND_LABELS]} | ${n} |`),
    '',
  );
  if (r.survivors.length === 0) lines.push('No mutant survived.');
  else {
    lines.push('Survivors, each classified (`test/mutation/survivors.ts`):', '', '| mutant | classification |', '|---|---|');
    for (const s of r.survivors) {
      const what = s.equivalent ? `equivalent: ${s.equivalent}` : s.missing ? `**missing test** (not written yet): ${s.missing}` : '**UNCLASSIFIED**: a missing oracle or test';
      lines.push(`| \`${cell(s.id)}\`: ${cell(s.description)} | ${cell(what)} |`);
    }
  }
  return lines.join('\n');
}

export const KIND_LABELS = {
  mismatch: 'the real actor took another transition than the model',
  'docs-oracle': 'a docs oracle (oracles.ts)',
  context: 'the context the model predicts',
  'temporal-oracle': 'a temporal oracle (temporal.ts)',
  check: "a check against the simulator or the path's end",
  'actor-error': 'the session crashed (an error no handler took)',
  'wait-timeout': 'only a wait timing out (the expected event never came)',
  timeout: "the mutant's time box (a hang)",
  crashed: 'the worker process died',
} as const;
