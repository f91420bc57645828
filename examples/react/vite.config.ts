import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Alias } from 'vite';
import { exampleViteConfig } from '../shared/viteConfig.js';

const config = exampleViteConfig(fileURLToPath(new URL('.', import.meta.url)), [react()]);
// The React entry of the package (aicc-chat-machine/react), from this repository's source too.
const alias: Alias[] = [
  { find: /^aicc-chat-machine\/react$/, replacement: fileURLToPath(new URL('../../src/react/index.ts', import.meta.url)) },
  ...((config.resolve?.alias as Alias[] | undefined) ?? []),
];

export default defineConfig({ ...config, resolve: { ...config.resolve, alias } });
