import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, type Alias } from 'vite';
import { exampleViteConfig } from '../shared/viteConfig.js';

const config = exampleViteConfig(fileURLToPath(new URL('.', import.meta.url)), [svelte()]);
// The Svelte entry of the package (aicc-chat-machine/svelte), from this repository's source too.
const alias: Alias[] = [
  { find: /^aicc-chat-machine\/svelte$/, replacement: fileURLToPath(new URL('../../src/svelte/index.ts', import.meta.url)) },
  ...((config.resolve?.alias as Alias[] | undefined) ?? []),
];

export default defineConfig({ ...config, resolve: { ...config.resolve, alias } });
