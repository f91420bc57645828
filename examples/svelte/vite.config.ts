import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import { exampleViteConfig } from '../shared/viteConfig.js';

export default defineConfig(exampleViteConfig(fileURLToPath(new URL('.', import.meta.url)), [svelte()]));
