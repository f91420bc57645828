/**
 * Regenerates the tables of docs/performance.md from bench/results/*.json. Each table sits
 * between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; the prose around them is written by
 * hand. Run by `npm run bench` after the benchmarks; on its own: node --import tsx bench/report.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readResult, type ResultFile } from './lib/results.js';
import { ROOT_DIR } from './lib/spawn.js';
import type { Latency, Spread } from './lib/stats.js';

const DOC = join(ROOT_DIR, 'docs/performance.md');

const f = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const ms = (v: number | undefined, digits = 2): string => `${f(v, digits)} ms`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const sp = (s: Spread, digits = 2): string => `${f(s.median, digits)} (${f(s.min, digits)}–${f(s.max, digits)}, n=${s.n})`;
/** The scale search of one transport (bench/scale.ts writes `scale` for axios, `scale-<transport>` otherwise). */
function scaleTable(name: string): string | undefined {
  const r = readResult<Any>(name);
  if (!r) return undefined;
  const x = r.result;
  const rows = (x.steps as Any[]).map((s) => [
    `${s.n}${s.attempt > 1 ? ' (again)' : ''}`,
    f(s.loadAverage, 1),
    `${f(s.rampMs / 1000, 1)} s`,
    f(s.heapPerSessionKB, 1),
    f(s.heapPerSessionAfterKB, 1),
    f(s.rssPerSessionKB, 1),
    ms(s.eventLoopDelayP99Ms, 1),
    s.majorGcs === undefined ? '–' : `${s.majorGcs}${s.majorGcs > 0 ? ` (longest pause ${ms(s.majorGcMaxPauseMs, 0)})` : ''}`,
    ms(s.delivery.p50, 1),
    ms(s.delivery.p99, 1),
    `${f(s.clientCpuPercent, 0)} %`,
    `${f(s.simulator.cpuPercent, 0)} %`,
    String(Object.values(s.errors as Record<string, number>).reduce((a, b) => a + b, 0)),
    s.invalid ? `invalid (run again): ${s.invalid}` : s.pass ? `pass${s.note ? ` (${s.note})` : ''}` : `fail: ${s.why}`,
  ]);
  const skipped = (x.skipped as Any[]).map((s) => `N=${s.n} skipped: ${s.why}.`).join(' ');
  const transport = x.method.transport ?? 'axios';
  return [
    table(['N', 'load avg', 'ramp', 'heap KB/session', 'heap KB/session after chat', 'RSS KB/session', 'loop delay p99', 'major GCs in window', 'delivery p50', 'delivery p99', 'client CPU', 'simulator CPU', 'errors', ''], rows),
    '',
    `Transport: ${transport === 'axios' ? 'axios (the default)' : `\`${transport}\``}. ` +
      (x.method.semiSpaceMb ? `Worker run with \`--max-semi-space-size=${x.method.semiSpaceMb}\` (Node's default: 16). ` : '') +
      (x.method.attempts ? `Every N is run ${x.method.attempts} times (both published); N holds when both valid attempts pass. ` : '') +
      `Largest N holding p99 delivery < ${x.method.p99LimitMs} ms: **${x.largestPassingN}**. ${skipped}`,
    '',
    stamp(r),
  ].join('\n');
}

/** Benchmark 1 (bench/overhead.ts): the session against bare axios; `overhead-<transport>` has the session on another transport. */
function overheadTable(name: string): string | undefined {
  const r = readResult<Any>(name);
  if (!r) return undefined;
  const x = r.result;
  const req = Object.entries(x.requests.machine as Record<string, number>).map(([k, v]) => `${k} ×${v}`).join(', ');
  const session = !x.transport || x.transport === 'axios' ? 'machine (createChatSession)' : `machine on \`${x.transport}\``;
  return [
    table(['', session, 'bare axios', 'ratio, median (min–max)'], [
      ['wall per session', ms(x.machinePerSession.wallMs.median, 1), ms(x.barePerSession.wallMs.median, 1), sp(x.wallRatio, 3)],
      ['CPU per session', ms(x.machinePerSession.cpuMs.median, 1), ms(x.barePerSession.cpuMs.median, 1), sp(x.cpuRatio, 3)],
    ]),
    '',
    ...(Array.isArray(x.warmUp)
      ? [
          `Warm-up before the measured rounds, CPU per session by block of ${x.script.sessionsPerRun} (machine / bare, not in the ratios): ` +
            (x.warmUp as { machineCpuMsPerSession: number; bareCpuMsPerSession: number }[])
              .map((b) => `${ms(b.machineCpuMsPerSession, 1)} / ${ms(b.bareCpuMsPerSession, 1)}`)
              .join(', ') +
            '.',
          '',
        ]
      : []),
    `Added CPU per message round trip (send + reply delivered): p50 ${ms(x.addedCpuPerMessageMs.p50, 3)}. ` +
      `Same HTTP calls in the same order (polls aside): **${x.requests.sameSequence ? 'yes' : 'no'}** — ${req}. ` +
      `Keep-alive: ${x.connections} TCP connections for the measured rounds (${f(x.requestsPerConnection, 0)} requests per connection). ` +
      `Timers left after all sessions ended: ${x.timersAfter} (before: ${x.timersBefore}). Protocol violations: ${Object.keys(x.violations).length === 0 ? 'none' : JSON.stringify(x.violations)}.`,
    '',
    stamp(r),
  ].join('\n');
}

const verdict = (ok: boolean): string => (ok ? 'met' : '**not met**');
/** How far a timer may fire from its due time, as seen by another process (the idle check's tolerance). */
const TIMER_JITTER_MS = 1;
const table = (head: string[], rows: (string | number)[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const stamp = (r: ResultFile<unknown>): string => `_${r.date.slice(0, 16).replace('T', ' ')} UTC, commit ${r.commit}, load average at start ${r.machine.loadAverage.join(' / ')}, ${Math.round(r.durationMs / 1000)} s._`;

/* eslint-disable @typescript-eslint/no-explicit-any -- result files are read back as plain JSON */
type Any = any;


/** The bundle per transport: code-split as Vite / Rollup / webpack emit it (bench/bundle.ts). */
function transportBundles(x: Any): string[] {
  const t = x.transports;
  if (!t) return [];
  const gz = (bytes: number): string => `${kb(bytes)} (${bytes} B)`;
  // Results from before lazyApis.ts have one lazy chunk, axios.
  const axiosChunk = (b: Any): number => (b.lazyParts as Any[] | undefined)?.find((p) => p.name === 'axios')?.gzipBytes ?? b.lazy.gzipBytes;
  const loaded = (b: Any, lazyLoads: boolean): number => b.initial.gzipBytes + (lazyLoads ? axiosChunk(b) : 0);
  const row = (name: string, b: Any, lazyLoads: boolean, base: Any) => [
    name,
    gz(b.initial.gzipBytes),
    axiosChunk(b) ? `${gz(axiosChunk(b))}${lazyLoads ? ', loaded by the first request' : ', never loaded'}` : '–',
    gz(loaded(b, lazyLoads)),
    f(loaded(b, lazyLoads) / loaded(base, true), 2),
  ];
  const rare = (t.coreFetch.lazyParts as Any[] | undefined)?.find((p) => p.name === 'lazyApis');
  return [
    table(['bundle, with xstate', 'up front (gzip)', 'axios chunk (gzip)', 'loaded (gzip)', 'ratio to axios'], [
      row('core entry + `fetchTransport`', t.coreFetch, false, t.coreAxios),
      row('core entry, axios (default)', t.coreAxios, true, t.coreAxios),
      row('`createChatSession` + `fetchTransport`', t.sessionFetch, false, t.sessionAxios),
      row('`createChatSession`, axios (default)', t.sessionAxios, true, t.sessionAxios),
    ]),
    '',
    `The \`aicc-chat-machine/transport-fetch\` entry alone: ${kb(t.fetchEntry.minifiedBytes)} minified, ${gz(t.fetchEntry.gzipBytes)} gzip, node: builtins: ${t.fetchEntry.forbidden.length ? t.fetchEntry.forbidden.join(', ') : 'none'}. ` +
      (rare ? `Not counted as loaded: the rarely used client APIs' chunk (\`src/client/lazyApis.ts\`, ${gz(rare.gzipBytes)}), loaded on the first call of one of them. ` : '') +
      `Budgets: section 5.`,
  ];
}

const blocks: Record<string, () => string | undefined> = {
  machine() {
    const r = readResult<Any>('overhead') ?? readResult<Any>('bundle');
    if (!r) return undefined;
    const m = r.machine;
    return table(['', ''], [
      ['CPU', `${m.cpu} × ${m.cores}`],
      ['memory', `${m.memoryGiB} GiB`],
      ['OS', m.os],
      ['Node', m.node],
      ['open-file limit (bench processes)', String(m.openFileLimit ?? 'unknown')],
      ['load', "shared machine: each table's stamp gives the load average when that benchmark started"],
    ]);
  },

  summary() {
    const o = readResult<Any>('overhead');
    const l = readResult<Any>('latency');
    const s = readResult<Any>('scale');
    const i = readResult<Any>('idle');
    const b = readResult<Any>('bundle');
    const m = readResult<Any>('model');
    const t = readResult<Any>('transport')?.result.summary;
    const rows: string[][] = [];
    if (o) {
      rows.push(['1 overhead: wall ratio', '≤ 1.10', f(o.result.wallRatio.median), verdict(o.result.wallRatio.median <= 1.1)]);
      rows.push(['1 overhead: CPU ratio', '≤ 1.10', f(o.result.cpuRatio.median), verdict(o.result.cpuRatio.median <= 1.1)]);
    }
    const on = readResult<Any>('overhead-net');
    if (on) rows.push(['1 overhead: CPU ratio, the session on `transport-net` against the same bare axios', 'measured', f(on.result.cpuRatio.median), '–']);
    if (l) rows.push(['2 delivery: added p50', '≤ 2 ms', ms(l.result.addedP50Ms.median, 3), verdict(l.result.addedP50Ms.median <= 2)]);
    if (s) {
      const best = (s.result.steps as Any[]).filter((x) => x.pass).at(-1);
      rows.push(['3 scale: sessions at p99 delivery < 250 ms (axios)', '10 000', String(s.result.largestPassingN), verdict(s.result.largestPassingN >= 10_000)]);
      const sn = readResult<Any>('scale-node');
      if (sn) rows.push(['3 scale: sessions at p99 delivery < 250 ms (`transport-node`)', '10 000', String(sn.result.largestPassingN), verdict(sn.result.largestPassingN >= 10_000)]);
      const sx = readResult<Any>('scale-net');
      if (sx) rows.push(['3 scale: sessions at p99 delivery < 250 ms (`transport-net`)', '10 000', String(sx.result.largestPassingN), verdict(sx.result.largestPassingN >= 10_000)]);
      // The 30 s window holds a major GC or two; a longer one lets the heap grow with the chat (section 3c).
      const sl = readResult<Any>('scale-net-10000-120s');
      if (sl) {
        const p99s = (sl.result.steps as Any[]).map((x) => ms(x.delivery.p99, 0)).join(' and ');
        rows.push([`3 scale: 10 000 on \`transport-net\`, ${sl.result.method.durationMs / 1000} s window (section 3c)`, 'p99 < 250 ms', `p99 ${p99s}`, verdict(sl.result.largestPassingN >= 10_000)]);
      }
      const ss = readResult<Any>('scale-node-semispace64');
      if (ss) rows.push([`3 scale: \`transport-node\`, worker with \`--max-semi-space-size=${ss.result.method.semiSpaceMb}\` (a host setting)`, '10 000', String(ss.result.largestPassingN), verdict(ss.result.largestPassingN >= 10_000)]);
      const mem = readResult<Any>('memory');
      if (mem) {
        const heap = mem.result.machine.heapPerSessionKB;
        rows.push(['3 scale: heap per session (memory bench)', '≤ 30 KB', `${f(heap, 1)} KB (bare axios ${f(mem.result.bare.heapPerSessionKB, 1)} KB)`, verdict(heap <= 30)]);
      } else {
        const heap = best?.heapPerSessionKB ?? (s.result.steps as Any[])[0]?.heapPerSessionKB;
        rows.push(['3 scale: heap per session', '≤ 30 KB', `${f(heap, 1)} KB`, verdict(heap <= 30)]);
      }
    }
    if (t?.raw && t.session) {
      for (const name of ['net', 'node', 'axios', 'fetch'] as const) {
        const heap = t.session[name]?.heapPerSessionKB.median;
        if (heap !== undefined) rows.push([`3 scale: heap per idle session on ${name}, next to the raw ${name} floor (Transports)`, '≤ 30 KB', `${f(heap, 1)} KB (floor ${f(t.raw[name]?.heapPerSessionKB.median, 1)} KB)`, verdict(heap <= 30)]);
      }
    }
    if (i) {
      const idle = i.result.machine;
      rows.push([
        '4 idle: requests/min per session',
        '≤ 12 (one poll per 5000 ms window), no gap shorter than the window (±1 ms timer jitter)',
        `${f(idle.requestsPerSessionPerMin)} (shortest gap ${f(idle.minPollGapMs, 0)} ms)`,
        // Timers fire up to a millisecond early or late against another process's clock reading.
        verdict(idle.requestsPerSessionPerMin <= 12.1 && idle.minPollGapMs >= i.result.method.longPollWindowMs - TIMER_JITTER_MS),
      ]);
      rows.push(['4 idle: CPU per idle session', 'measured', `${f(idle.cpuMsPerSessionPerMin)} ms/min (bare axios ${f(i.result.bare.cpuMsPerSessionPerMin)})`, '–']);
      rows.push(['4 idle: polls in flight per session', '≤ 1', String(i.result.machine.maxPollsInFlightPerSession), verdict(i.result.machine.maxPollsInFlightPerSession <= 1)]);
    }
    if (t?.raw && t.session) {
      for (const name of ['net', 'node', 'axios', 'fetch'] as const) {
        const session = t.session[name]?.cpuUsPerPoll.median;
        const floor = t.raw[name]?.cpuUsPerPoll.median;
        if (session !== undefined) rows.push([`4 idle: CPU per idle poll, session on ${name} next to the raw ${name} floor (Transports)`, 'measured', `${f(session, 0)} µs (floor ${f(floor, 0)} µs, ×${f(session / floor)})`, '–']);
      }
    }
    for (const [key, label] of [
      ['core', '5 bundle: core (machine + actors + client), gzip'],
      ['allInFetch', '5 bundle: all-in, `fetchTransport` + xstate, gzip'],
    ] as const) {
      const e = b?.result.entries?.[key];
      if (e?.targetGzipBytes) rows.push([label, `≤ ${kb(e.targetGzipBytes)}`, kb(e.initial.gzipBytes), verdict(e.initial.gzipBytes <= e.targetGzipBytes)]);
    }
    if (m?.result.present) rows.push(['6 model-based suite', 'tracked', `${m.result.paths} paths, ${f(m.result.wallMs / 1000, 1)} s`, '–']);
    return table(['benchmark', 'target', 'measured (median)', ''], rows);
  },

  overhead() {
    return overheadTable('overhead');
  },

  overheadNet() {
    return overheadTable('overhead-net');
  },

  latency() {
    const r = readResult<Any>('latency');
    if (!r) return undefined;
    const x = r.result;
    const row = (name: string, l: Latency) => [name, ms(l.p50, 3), ms(l.p90, 3), ms(l.p99, 3), ms(l.max, 3), String(l.n)];
    return [
      table(['injected → visible', 'p50', 'p90', 'p99', 'max', 'n'], [row('machine: in the actor snapshot', x.machine), row('bare axios: long-poll answer', x.bare)]),
      '',
      `Added at p50 (per round, median and range): ${sp(x.addedP50Ms, 3)} ms; at p99 (all samples): ${ms(x.addedP99Ms, 3)}.`,
      '',
      stamp(r),
    ].join('\n');
  },

  scale() {
    return scaleTable('scale');
  },

  scaleNode() {
    return scaleTable('scale-node');
  },

  scaleNet() {
    return scaleTable('scale-net');
  },

  scaleNodeSemiSpace() {
    return scaleTable('scale-node-semispace64');
  },

  idle() {
    const r = readResult<Any>('idle');
    if (!r) return undefined;
    const x = r.result;
    const row = (name: string, k: Any) => [
      name,
      String(k.sessions),
      f(k.requestsPerSessionPerMin),
      `${f(k.pollGapMs.p50, 0)} / ${f(k.minPollGapMs, 0)} ms`,
      String(k.maxPollsInFlightPerSession),
      `${f(k.cpuMsPerSessionPerMin, 2)} ms`,
      `${f(k.cpuPercentOfCorePer1000Sessions, 1)} %`,
      `${k.timersAfter}`,
    ];
    return [
      table(['', 'sessions', 'requests / session / min', 'poll gap p50 / min', 'max polls in flight', 'CPU / session / min', 'CPU per 1000 sessions (of one core)', 'timers left after end'], [
        row('machine', x.machine),
        row('bare axios', x.bare),
      ]),
      '',
      `Window ${f(x.method.windowMs / 1000, 0)} s, long-poll window ${x.method.longPollWindowMs} ms (expected ${x.method.expectedPollsPerMin} polls/min). Protocol violations (e.g. concurrent-poll): ${Object.keys(x.violations).length === 0 ? 'none' : JSON.stringify(x.violations)}.`,
      '',
      stamp(r),
    ].join('\n');
  },

  bundle() {
    const r = readResult<Any>('bundle');
    if (!r?.result.entries) return undefined;
    const x = r.result;
    const gz = (bytes: number): string => `${kb(bytes)} (${bytes} B)`;
    const entries = Object.values(x.entries as Record<string, Any>);
    const shares = (key: string) => new Map((x.breakdowns[key].groups as Any[]).map((g) => [g.name, g]));
    const core = shares('core');
    const allIn = shares('allInFetch');
    const groups = [...new Set([...allIn.keys(), ...core.keys()])];
    const share = (m: Map<string, Any>, name: string) => (m.has(name) ? `${kb(m.get(name).minifiedBytes)} / ${gz(m.get(name).gzipBytes)}` : '–');
    const d = x.descriptions;
    return [
      table(['import set (esbuild, browser, ESM, minified, production)', 'peers', 'up front: minified', 'up front: gzip', 'later (lazy chunks), gzip', 'budget', 'goal (#16)'], entries.map((e) => [
        e.name,
        e.withPeers ? 'bundled' : 'external',
        kb(e.initial.minifiedBytes),
        gz(e.initial.gzipBytes),
        e.lazyParts ? (e.lazyParts as Any[]).map((p) => `${p.name} ${p.gzipBytes} B`).join(' + ') : e.lazy.gzipBytes ? gz(e.lazy.gzipBytes) : '–',
        e.limitGzipBytes === null ? '–' : `${e.limitGzipBytes} B`,
        e.targetGzipBytes ? `≤ ${kb(e.targetGzipBytes)}: ${verdict(e.initial.gzipBytes <= e.targetGzipBytes)}` : '–',
      ])),
      '',
      `Forbidden code (node: builtins, simulator, Node gateway, demo) in any of them: ${entries.some((e) => e.forbidden.length) ? entries.flatMap((e) => e.forbidden).join(', ') : 'none'}. ` +
        `The core entry built as one file (the measure before issue #16: the axios transport inlined, nothing split): ${gz(x.indexOneFile.gzipBytes)}. ` +
        `xstate alone (what the package imports from it: setup, createActor, assign, enqueueActions, fromPromise, fromCallback, raise, stateIn): ${kb(x.xstate.minifiedBytes)} minified, ${gz(x.xstate.gzipBytes)} gzip.`,
      '',
      `Statechart descriptions, were they shipped: core ${gz(d.core.withGzipBytes)} instead of ${gz(d.core.withoutGzipBytes)} (+${d.core.costGzipBytes} B); all-in with fetch +${d.allInFetch.costGzipBytes} B.`,
      '',
      'What each part adds (minified / gzip; a part\'s gzip is what the bundle loses without it, so the parts do not add up exactly):',
      '',
      table(['part', 'core (up front)', 'all-in + `fetchTransport` + xstate (up front)'], groups.map((name) => [name, share(core, name), share(allIn, name)])),
      '',
      'Largest modules of the core (gzip added): ' + (x.breakdowns.core.modules as Any[]).map((m) => `\`${m.name}\` ${m.gzipBytes}`).join(', ') + '.',
      '',
      table(['other browser chat clients (published bundle)', 'minified', 'gzip'], (x.others as Any[]).map((o) => [o.name, kb(o.minifiedBytes), gz(o.gzipBytes)])),
      '',
      stamp(r),
    ].join('\n');
  },

  bundleTransports() {
    const r = readResult<Any>('bundle');
    if (!r?.result.transports) return undefined;
    return [...transportBundles(r.result), '', stamp(r)].join('\n');
  },

  transport() {
    const r = readResult<Any>('transport');
    if (!r) return undefined;
    const x = r.result;
    const rows: string[][] = [];
    for (const [level, byTransport] of Object.entries(x.summary as Record<string, Any>)) {
      for (const [name, v] of Object.entries(byTransport as Record<string, Any>)) {
        rows.push([level, name, sp(v.cpuUsPerPoll, 0), sp(v.cpuRatioToAxios, 2), sp(v.heapPerSessionKB, 1), sp(v.heapRatioToAxios, 2)]);
      }
    }
    return [
      table(['level', 'transport', 'CPU µs per long poll', 'CPU ratio to axios', 'heap KB per session', 'heap ratio to axios'], rows),
      '',
      `${x.method.sessionsEach} long-polling users per transport, the ${Object.keys(Object.values(x.summary as Record<string, Any>)[0] ?? {}).length} transports in as many processes at the same time, ` +
        `${x.method.windowMs / 1000} s window on the ${x.method.longPollWindowMs} ms long poll, ${x.method.rounds} rounds (median (min–max, n = rounds); ratios taken within a round). ` +
        `\`raw\`: the floor, a long-poller written directly on node:http (keep-alive agent), fetch, one axios instance or a socket (HTTP/1.1 by hand, under net), nothing of the library's on the way (bench/lib/rawPoller.ts); ` +
        `\`client\`: the client alone, \`client.poll\` in a loop after CONNECT; \`session\`: createChatSession sessions in \`chatting\`. ` +
        `CPU is the whole process's in the window (not net of its idle CPU, which was ${f(Math.max(...(x.rounds as Any[]).flatMap((r) => Object.values(r.byTransport as Record<string, Any>).map((t) => t.idleCpuPercentOfCore ?? 0))), 2)} % of a core or less before any session started). ` +
        `Library measured: ${x.method.library === 'dist' ? 'the build' : 'the sources through tsx'}.`,
      '',
      stamp(r),
    ].join('\n');
  },

  memory() {
    const r = readResult<Any>('memory');
    if (!r) return undefined;
    const x = r.result;
    const row = (name: string, v: Any) => [name, f(v.heapPerSessionKB, 1), (v.rounds as number[]).map((k) => f(k, 1)).join(', '), f(v.rssPerSessionKB, 1)];
    return [
      table(['', 'heap KB/session (median)', 'rounds', 'RSS KB/session'], [
        row(`machine: ${x.sessions} sessions in \`chatting\``, x.machine),
        row(`bare axios: ${x.sessions} long-pollers`, x.bare),
      ]),
      '',
      `Library measured: ${x.library === 'dist' ? 'the build (dist/)' : 'the sources through tsx'}.`,
      '',
      stamp(r),
    ].join('\n');
  },

  machineStep() {
    const r = readResult<Any>('machine-step');
    if (!r) return undefined;
    const x = r.result;
    const l = x.cpuUsPerRoundTrip;
    return [
      `CPU per message round trip in the machine alone (\`message.send\` → the sendMessage worker's \`message.sent\` → the reply delivered by the poll loop; in-process actors that answer at once, no HTTP): ` +
        `p50 **${f(l.p50, 0)} µs**, p90 ${f(l.p90, 0)} µs, over ${x.sessions} sessions of ${x.roundTripsPerSession} round trips after a warm-up (library: ${x.library}).`,
      '',
      stamp(r),
    ].join('\n');
  },

  merge() {
    const r = readResult<Any>('merge');
    if (!r) return undefined;
    const x = r.result;
    return [
      table(['transcript length', 'merge 1 new message p50 / p99', 'dedupe a known message p50', 'send 1 message (enqueue + sent) p50 / p99'], (x.rows as Any[]).map((row) => [
        String(row.transcriptLength),
        `${f(row.mergeOneMessageUs.p50, 1)} / ${f(row.mergeOneMessageUs.p99, 1)} µs`,
        `${f(row.dedupeKnownMessageUs.p50, 1)} µs`,
        `${f(row.sendOneMessageUs.p50, 1)} / ${f(row.sendOneMessageUs.p99, 1)} µs`,
      ])),
      '',
      `Heap per transcript entry (agent text message, index included): ${f(x.heapPerEntryBytes, 0)} B.`,
      '',
      stamp(r),
    ].join('\n');
  },

  model() {
    const r = readResult<Any>('model');
    if (!r) return undefined;
    if (!r.result.present) return '_test/model is not there yet._';
    let history: Any[] = [];
    try {
      history = JSON.parse(readFileSync(join(ROOT_DIR, 'bench/results/model-history.json'), 'utf8')) as Any[];
    } catch {
      history = [];
    }
    return [
      table(['date', 'commit', 'paths', 'tests', 'failed', 'wall (vitest run test/model)', 'in the suite'], history.slice(-10).map((h) => [
        h.date.slice(0, 16).replace('T', ' '),
        h.commit,
        String(h.paths ?? '–'),
        String(h.tests),
        String(h.failed),
        `${f(h.wallMs / 1000, 1)} s`,
        `${f(h.suiteMs / 1000, 1)} s`,
      ])),
      '',
      stamp(r),
    ].join('\n');
  },
};

// `--only bundle,transport`: regenerate just these blocks (the others keep what they show).
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((process.argv[onlyIndex + 1] ?? '').split(',')) : undefined;
let doc = readFileSync(DOC, 'utf8');
for (const [name, render] of Object.entries(blocks)) {
  if (only && !only.has(name)) continue;
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const a = doc.indexOf(open);
  const b = doc.indexOf(close);
  if (a < 0 || b < a) continue;
  const body = render() ?? '_not measured yet: run `npm run bench`._';
  doc = `${doc.slice(0, a + open.length)}\n${body}\n${doc.slice(b)}`;
}
writeFileSync(DOC, doc);
console.log('report: docs/performance.md updated');
