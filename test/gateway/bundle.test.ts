/**
 * The gateway's own dependencies (jose for sealed tokens, redis for the fleet store) are Node-side
 * only: the browser bundle of the core entry, peers included, holds neither. A positive control
 * proves the check sees jose when something does import it.
 */
import { describe, expect, it } from 'vitest';
import { ALL_IN_AXIOS, ALL_IN_FETCH, measureBundle } from '../../bench/lib/bundle.js';
import { HEAVY_TEST_TIMEOUT_MS } from '../support/timeBudget.js';

const GATEWAY_ONLY = /^node_modules\/(jose|redis|@redis)\//;
const gatewayDeps = (inputs: { path: string }[]) => inputs.map((i) => i.path).filter((p) => GATEWAY_ONLY.test(p));

describe('gateway dependencies and the browser core', () => {
  it('the core bundle (with axios or the fetch transport, xstate included) holds no jose and no redis', async () => {
    for (const entry of [ALL_IN_AXIOS, ALL_IN_FETCH]) {
      const core = await measureBundle(entry, true);
      expect(core.inputs.some((i) => i.path.startsWith('node_modules/xstate/')), entry.name).toBe(true);
      expect(gatewayDeps(core.inputs), entry.name).toEqual([]);
    }
  }, HEAVY_TEST_TIMEOUT_MS);

  it('would notice jose sneaking in (the check itself works)', async () => {
    const leaky = await measureBundle({ contents: "export * from './src/index.js'; export { createTokenSealer } from './src/gateway/sealing.js';", name: 'leaky' }, true);
    expect(gatewayDeps(leaky.inputs).some((p) => p.startsWith('node_modules/jose/'))).toBe(true);
  }, HEAVY_TEST_TIMEOUT_MS);
});
