/**
 * The framework entries are sub-paths of the package, over optional peer dependencies: the
 * core entry's browser bundle holds none of them (nor their frameworks), each entry holds only
 * its own framework's binding, and package.json exports each one with its peers optional.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORE_ENTRY, measureBundle } from '../../bench/lib/bundle.js';

const FRAMEWORKS = {
  react: { binding: 'node_modules/@xstate/react/', peers: ['react', '@xstate/react'] },
  vue: { binding: 'node_modules/@xstate/vue/', peers: ['vue', '@xstate/vue'] },
  svelte: { binding: 'node_modules/@xstate/svelte/', peers: ['svelte', '@xstate/svelte'] },
} as const;
type Framework = keyof typeof FRAMEWORKS;
const NAMES = Object.keys(FRAMEWORKS) as Framework[];

/** Bundle inputs that belong to a framework entry or to a framework. */
function frameworkInputs(paths: readonly string[], frameworks: readonly Framework[]): string[] {
  const owned = (framework: Framework) => [`src/${framework}/`, FRAMEWORKS[framework].binding, `node_modules/${framework}/`];
  return paths.filter((path) => frameworks.some((framework) => owned(framework).some((prefix) => path.startsWith(prefix))));
}

const inputsOf = async (entry: string): Promise<string[]> => (await measureBundle(entry, true)).inputs.map((input) => input.path);

describe('framework entries stay out of the core', () => {
  it('the core entry bundle (with its peers) holds no framework entry, no adapter code and no framework', async () => {
    const paths = await inputsOf(CORE_ENTRY);
    expect(frameworkInputs(paths, NAMES)).toEqual([]);
    expect(paths.filter((path) => path.startsWith('src/adapters/') || /^node_modules\/(react-dom|@vue|scheduler)\//.test(path))).toEqual([]);
  });

  it.each(NAMES)('aicc-chat-machine/%s bundles its own binding and no other framework', async (framework) => {
    const paths = await inputsOf(`src/${framework}/index.ts`);
    expect(paths).toContain(`src/${framework}/index.ts`);
    expect(paths.some((path) => path.startsWith(FRAMEWORKS[framework].binding))).toBe(true);
    expect(frameworkInputs(paths, NAMES.filter((other) => other !== framework))).toEqual([]);
  });

  it('package.json exports each entry and makes its peers optional', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    for (const framework of NAMES) {
      expect(pkg.exports[`./${framework}`]).toEqual({ types: `./dist/src/${framework}/index.d.ts`, default: `./dist/src/${framework}/index.js` });
      for (const peer of FRAMEWORKS[framework].peers) {
        expect(pkg.peerDependencies[peer], peer).toBeTruthy();
        expect(pkg.peerDependenciesMeta[peer]?.optional, peer).toBe(true);
      }
    }
    expect(pkg.peerDependenciesMeta.xstate?.optional).toBeUndefined();
  });
});
