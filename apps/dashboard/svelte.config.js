import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  // TypeScript in <script lang="ts"> blocks.
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Svelte 5 runes everywhere (no legacy `$:` / `export let`).
    runes: true,
  },
  kit: {
    // adapter-node: `node build/index.js`, configured by PORT, HOST, ORIGIN (see docs/dashboard.md).
    adapter: adapter({ out: 'build' }),
  },
};

export default config;
