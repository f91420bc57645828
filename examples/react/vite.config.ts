import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { exampleViteConfig } from '../shared/viteConfig.js';

export default defineConfig(exampleViteConfig(fileURLToPath(new URL('.', import.meta.url)), [react()]));
