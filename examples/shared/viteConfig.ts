/**
 * The Vite settings the three examples share. Each example's vite.config.ts adds its framework
 * plugin. The examples build against this repository's source (`aicc-chat-machine` is aliased
 * to src/index.ts, `aicc-chat-machine/tabs` to src/tabs/index.ts), so they need no `npm run
 * build` first; in your app the package resolves through node_modules and none of this is needed.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginOption, UserConfig } from 'vite';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function exampleViteConfig(root: string, plugins: PluginOption[]): UserConfig {
  return {
    root,
    plugins,
    clearScreen: false,
    resolve: {
      alias: [
        { find: /^aicc-chat-machine$/, replacement: path.join(REPO_ROOT, 'src/index.ts') },
        { find: /^aicc-chat-machine\/tabs$/, replacement: path.join(REPO_ROOT, 'src/tabs/index.ts') },
      ],
    },
    server: { fs: { allow: [REPO_ROOT] } },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      sourcemap: true,
      // No inline data: URIs: the demo server's CSP allows scripts and styles from files only.
      assetsInlineLimit: 0,
    },
  };
}
