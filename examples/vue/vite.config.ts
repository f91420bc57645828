import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';
import { exampleViteConfig } from '../shared/viteConfig.js';

export default defineConfig(exampleViteConfig(fileURLToPath(new URL('.', import.meta.url)), [vue()]));
