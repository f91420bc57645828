/** examples/svelte (@xstate/svelte, Svelte 5 runes): svelte-check, Vite build, a short chat in Chromium. */
import { afterAll, describe, expect, it } from 'vitest';
import { buildInto, chatInBrowser, check, removeDir } from './helpers.js';
import { HEAVY_TEST_TIMEOUT_MS } from '../support/timeBudget.js';

describe('examples/svelte', { concurrent: true }, () => {
  let outDir: string | undefined;
  afterAll(() => removeDir(outDir));

  it('type-checks its components with svelte-check (warnings fail too)', async () => {
    const output = await check('svelte-check', ['--tsconfig', 'examples/svelte/tsconfig.json', '--fail-on-warnings', '--output', 'machine']);
    expect(output).toMatch(/COMPLETED \d+ FILES 0 ERRORS 0 WARNINGS/);
  }, HEAVY_TEST_TIMEOUT_MS);

  it('builds with Vite and chats in a browser', async () => {
    outDir = await buildInto('svelte');
    expect(outDir).toBeTruthy();
    await chatInBrowser('svelte', outDir);
  }, HEAVY_TEST_TIMEOUT_MS);
});
