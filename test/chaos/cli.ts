/**
 * The chaos run from the command line:
 *
 *   node --import tsx test/chaos/cli.ts [--preset fast|big] [--profile default|flaky-tenant]
 *                                       [--sessions N] [--concurrency N] [--seed N]
 *                                       [--max-seconds N] [--overload [N]] [--unscaled-timeouts] [--time-scale X]
 *                                       [--transport axios|node|net] [--json] [--out FILE]
 *
 * Prints a summary (stderr) and, with --json, the full report (stdout). Exit code 0 when every
 * session kept every invariant, 1 otherwise. It never calls process.exit: the process must end
 * by itself once the run is over, which proves no timer or socket was left behind. A watchdog
 * (unref'd, so it cannot keep the process alive) reports what is still open if it does not.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { FAULT_PROFILES, PRESETS, type ChaosOptions, type ChaosTransport, type FaultProfileName } from './config.js';
import { runChaos, type ChaosReport } from './run.js';

function transportArg(name: string | undefined): ChaosTransport | undefined {
  if (name === undefined || name === 'axios' || name === 'node' || name === 'net') return name;
  throw new Error(`unknown --transport ${name}`);
}

function parse(argv: string[]): { options: ChaosOptions; json: boolean; out: string | undefined } {
  const args = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      args.set(arg.slice(2), next);
      i += 1;
    } else flags.add(arg.slice(2));
  }
  const preset = PRESETS[(args.get('preset') ?? 'fast') as keyof typeof PRESETS];
  if (!preset) throw new Error(`unknown preset ${args.get('preset')}`);
  const profile = args.get('profile') ?? 'default';
  if (!Object.hasOwn(FAULT_PROFILES, profile)) throw new Error(`unknown profile ${profile} (${Object.keys(FAULT_PROFILES).join(', ')})`);
  const num = (name: string, fallback: number) => {
    const value = args.get(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`);
    return n;
  };
  return {
    options: {
      sessions: num('sessions', preset.sessions),
      concurrency: num('concurrency', preset.concurrency),
      seed: num('seed', preset.seed),
      maxSeconds: num('max-seconds', preset.maxSeconds),
      profile: profile as FaultProfileName,
      progress: !flags.has('quiet'),
      trace: flags.has('trace'),
      overload: flags.has('overload') ? cpus().length : num('overload', 0),
      unscaledTimeouts: flags.has('unscaled-timeouts'),
      timeScale: Math.max(1, num('time-scale', 1)),
      transport: transportArg(args.get('transport')),
    },
    json: flags.has('json'),
    out: args.get('out'),
  };
}

export function summary(r: ChaosReport): string {
  const lines = [
    `chaos run: seed ${r.seed}, profile ${r.profile}, ${r.sessions}/${r.sessionsPlanned} sessions in ${r.seconds} s (per session p50 ${r.sessionSeconds.p50} s, p95 ${r.sessionSeconds.p95} s; event-loop delay p99 ${r.eventLoopDelayMs.p99} ms, max ${r.eventLoopDelayMs.max} ms)`,
    `  load: ${r.load.hogs} CPU hogs beside the run; load average (1 min) ${r.load.loadAverageAtStart} at start, max ${r.load.loadAverageMax}, ${r.load.loadAverageAtEnd} at end; patience ×${r.load.patience}, client timeouts ${r.load.clientTimeoutMs} ms, poll ${r.load.pollTimeoutMs} ms; transport ${r.load.transport}`,
    `  flows: ${JSON.stringify(r.byFlow)}; end reasons: ${JSON.stringify(r.endReasons)}`,
    `  ended early because of: ${JSON.stringify(r.endErrors)}`,
    `  faults injected: ${r.faults.total} ${JSON.stringify(r.faults.byType)}; batches given back: ${r.faults.batchesGivenBack}`,
    ...(Object.keys(r.faults.bursts).length > 0 ? [`  bursts: ${JSON.stringify(r.faults.bursts)}`] : []),
    `  reloads ${r.reloads}, offline episodes ${r.offlineEpisodes}, hidden episodes ${r.hiddenEpisodes}, bad inputs ${r.badInputs} (effects ${r.badInputEffects})`,
    `  customer: ${JSON.stringify(r.customer)}`,
    `  incoming: ${JSON.stringify(r.incoming)}; automatic resends: ${r.autoResends}`,
    `  LOST ${r.lost}, DUPLICATED ${r.duplicated}; unhandled rejections ${r.unhandledRejections}, uncaught ${r.uncaughtExceptions}`,
    `  problems: ${JSON.stringify(r.problems)}; protocol violations: ${JSON.stringify(r.violations)}`,
  ];
  for (const e of r.examples.slice(0, 8)) {
    lines.push(`    ${e.code} ${e.userId}: ${e.detail} ${e.notes.length ? `[${e.notes.join('; ')}]` : ''}`);
    for (const line of e.trace ?? []) lines.push(`      ${line}`);
  }
  return lines.join('\n');
}

export function passed(r: ChaosReport): boolean {
  return (
    r.sessions > 0 &&
    r.lost === 0 &&
    r.duplicated === 0 &&
    Object.keys(r.problems).length === 0 &&
    r.unhandledRejections === 0 &&
    r.uncaughtExceptions === 0
  );
}

const { options, json, out } = parse(process.argv.slice(2));
const report = await runChaos(options);
process.stderr.write(`${summary(report)}\n`);
if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
if (out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.exitCode = passed(report) ? 0 : 1;

// Sockets closing and the simulators' last timers take longer on a loaded machine: the wait scales.
const exitWaitMs = 10_000 * (options.timeScale ?? 1);
const watchdog = setTimeout(() => {
  process.stderr.write(`chaos: still running ${exitWaitMs} ms after the run; open resources: ${JSON.stringify(process.getActiveResourcesInfo())}\n`);
  process.exitCode = 3;
  process.exit();
}, exitWaitMs);
watchdog.unref();
