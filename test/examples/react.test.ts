/**
 * examples/react type-checks on its own tsconfig (the browser e2e test builds and drives it),
 * and the Node side of the examples (demo server, Vite configs) on examples/tsconfig.json.
 */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../examples/server.js';
import { check } from './helpers.js';
import { HEAVY_TEST_TIMEOUT_MS } from '../support/timeBudget.js';

describe('examples/react and the demo server', { concurrent: true }, () => {
  it('the React app type-checks (tsc, strict, its own tsconfig)', async () => {
    await check('tsc', ['-p', 'examples/react/tsconfig.json']);
  }, HEAVY_TEST_TIMEOUT_MS);

  it('the Node side (demo server, shared helpers, vite configs) type-checks', async () => {
    await check('tsc', ['-p', 'examples/tsconfig.json']);
  }, HEAVY_TEST_TIMEOUT_MS);

  it('the demo server CLI parses its flags', () => {
    expect(parseArgs([])).toEqual({ port: 5173 });
    expect(parseArgs(['--app', 'vue', '--build', '--port=0', '--scenario', 'after-hours'])).toEqual({
      app: 'vue',
      mode: 'build',
      port: 0,
      scenario: 'after-hours',
    });
    expect(parseArgs(['--root', '/tmp/my-chat'])).toEqual({ port: 5173, root: '/tmp/my-chat' });
    expect(() => parseArgs(['--app', 'angular'])).toThrow(/unknown app/);
    expect(() => parseArgs(['--scenario', 'nope'])).toThrow(/unknown scenario/);
  });
});
