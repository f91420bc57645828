/**
 * Benchmark 6 — the model-based suite (test/model): number of generated paths and run time,
 * appended to bench/results/model-history.json so the figure can be followed over time.
 *
 *   node --import tsx bench/model.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { RESULTS_DIR, gitCommit, machineInfo, writeResult } from './lib/results.js';
import { ROOT_DIR } from './lib/spawn.js';
import { monoMs } from './lib/stats.js';

interface VitestJson {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; startTime: number; endTime: number; assertionResults: { ancestorTitles: string[]; status: string }[] }[];
}

interface HistoryEntry {
  date: string;
  commit: string;
  paths: number | null;
  tests: number;
  failed: number;
  wallMs: number;
  suiteMs: number;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const dir = join(ROOT_DIR, 'test/model');
  if (!existsSync(dir)) {
    writeResult('model', startedAt, { present: false });
    console.log('model: test/model is not there yet');
    return;
  }
  const out = join(tmpdir(), `model-${process.pid}.json`);
  const t0 = monoMs();
  const run = spawnSync(process.execPath, [join(ROOT_DIR, 'node_modules/vitest/vitest.mjs'), 'run', 'test/model', '--reporter=json', `--outputFile=${out}`], {
    cwd: ROOT_DIR,
    encoding: 'utf8',
    timeout: 600_000,
  });
  const wallMs = monoMs() - t0;
  const report = JSON.parse(readFileSync(out, 'utf8')) as VitestJson;
  const titles = report.testResults.flatMap((f) => f.assertionResults.flatMap((a) => a.ancestorTitles));
  const pathTitle = titles.map((t) => /(\d+) generated paths/.exec(t)).find((m) => m !== null);
  const suiteMs = report.testResults.reduce((sum, f) => sum + (f.endTime - f.startTime), 0);
  const entry: HistoryEntry = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    paths: pathTitle ? Number(pathTitle[1]) : null,
    tests: report.numTotalTests,
    failed: report.numFailedTests,
    wallMs: Math.round(wallMs),
    suiteMs: Math.round(suiteMs),
  };
  const historyFile = join(RESULTS_DIR, 'model-history.json');
  const history = existsSync(historyFile) ? (JSON.parse(readFileSync(historyFile, 'utf8')) as HistoryEntry[]) : [];
  history.push(entry);
  writeFileSync(historyFile, `${JSON.stringify(history.slice(-50), null, 2)}\n`);
  writeResult('model', startedAt, { present: true, exitCode: run.status, ...entry, machine: machineInfo().cpu });
  console.log(`model: ${entry.paths ?? '?'} paths, ${entry.tests} tests (${entry.failed} failed), ${(entry.wallMs / 1000).toFixed(1)} s wall, ${(entry.suiteMs / 1000).toFixed(1)} s in the suite`);
}

await main();
