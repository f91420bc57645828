import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type Alias } from 'vite';
import { exampleViteConfig } from '../shared/viteConfig.js';

const config = exampleViteConfig(fileURLToPath(new URL('.', import.meta.url)), [vue()]);
// The Vue entry of the package (aicc-chat-machine/vue), from this repository's source too.
const alias: Alias[] = [
  { find: /^aicc-chat-machine\/vue$/, replacement: fileURLToPath(new URL('../../src/vue/index.ts', import.meta.url)) },
  ...((config.resolve?.alias as Alias[] | undefined) ?? []),
];

export default defineConfig({ ...config, resolve: { ...config.resolve, alias } });
