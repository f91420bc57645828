/** examples/vue (@xstate/vue): vue-tsc, Vite build, and a short chat in headless Chromium. */
import { afterAll, describe, expect, it } from 'vitest';
import { buildInto, chatInBrowser, check, removeDir } from './helpers.js';
import { HEAVY_TEST_TIMEOUT_MS } from '../support/timeBudget.js';

describe('examples/vue', { concurrent: true }, () => {
  let outDir: string | undefined;
  afterAll(() => removeDir(outDir));

  it('type-checks its .vue templates and scripts with vue-tsc', async () => {
    await check('vue-tsc', ['--noEmit', '-p', 'examples/vue/tsconfig.json']);
  }, HEAVY_TEST_TIMEOUT_MS);

  it('builds with Vite and chats in a browser', async () => {
    outDir = await buildInto('vue');
    expect(outDir).toBeTruthy();
    await chatInBrowser('vue', outDir);
  }, HEAVY_TEST_TIMEOUT_MS);
});
