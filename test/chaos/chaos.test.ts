/**
 * The fast chaos run of `npm test` (seeded; see test/chaos/config.ts PRESETS.fast and
 * docs/reliability.md). It runs in a child process that must exit by itself once the run is over:
 * a timer, socket or server left behind keeps the child alive, and the test fails (the child's
 * own watchdog then reports what is still open and exits with code 3).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ChaosReport } from './run.js';
import { PRESETS } from './config.js';
import { budget, TIME_SCALE } from '../support/timeBudget.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** A hang detector for the child (docs/testing.md, "Time limits"). */
const LIMIT_MS = budget(150_000);
/**
 * The run stops starting sessions after maxSeconds, and the test wants most of them started:
 * on a loaded machine the same number of sessions needs more time, so the window scales too.
 */
const MAX_SECONDS = Math.ceil(PRESETS.fast.maxSeconds * TIME_SCALE);

function runChild(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/chaos/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the chaos child did not exit within ${LIMIT_MS} ms\n${stderr}`));
    }, LIMIT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

// axios: each customer a client and connections of its own, as in browsers; net: one transport-net
// shared by every customer, as a Node back end serving many would run it (its connections then
// meet the resets and slow answers of every API).
describe.each(['axios', 'net'] as const)('chaos (fast, seeded) on %s', (transport) => {
  it(
    'hundreds of concurrent sessions under injected faults: nothing lost, nothing doubled, every session ends typed, the process exits by itself',
    async () => {
      // The customers' patience and the client's timeouts are wall-clock limits too: they scale.
      const scale = ['--time-scale', String(TIME_SCALE)];
      const { code, stdout, stderr } = await runChild(['--preset', 'fast', '--max-seconds', String(MAX_SECONDS), ...scale, '--transport', transport, '--json', '--quiet']);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      expect(line, `no report from the child:\n${stderr}`).not.toBe('');
      const report = JSON.parse(line) as ChaosReport;
      const summary = stderr.slice(-4000);
      expect(code, `exit code (1: a problem below; 3: still running after the run, something leaked)\n${summary}`).toBe(0);
      expect(report.sessions, summary).toBeGreaterThanOrEqual(200);
      expect(report.lost, summary).toBe(0);
      expect(report.duplicated, summary).toBe(0);
      expect(report.problems, summary).toEqual({});
      expect(report.unhandledRejections, summary).toBe(0);
      expect(report.uncaughtExceptions, summary).toBe(0);
      // The run really was chaotic: every kind of fault hit, bad input was tried, pages reloaded.
      for (const type of ['http-5xx', 'http-5xx-after', 'reset', 'reset-after', 'slow', 'delay', 'duplicate-delivery', 'reorder', 'token-rotation', 'unauthorized']) {
        expect(report.faults.byType[type as keyof ChaosReport['faults']['byType']] ?? 0, `${type} injected`).toBeGreaterThan(0);
      }
      expect(report.badInputs).toBeGreaterThan(100);
      expect(report.badInputEffects).toBe(0);
      expect(report.reloads).toBeGreaterThan(20);
      expect(report.offlineEpisodes).toBeGreaterThan(20);
      expect(report.incoming.received).toBe(report.incoming.expected);
      expect(report.load.transport).toBe(transport);
      expect(Object.keys(report.endReasons).every((r) => r !== 'null')).toBe(true);
    },
    LIMIT_MS + 10_000,
  );
});
