import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { dashboardDevServer } from './src/server/vite-plugin.ts';

export default defineConfig(({ command, mode }) => {
  // Vite's bundled postcss-load-config sets NODE_ENV=development when it is unset, in the middle
  // of `vite build` (the first stylesheet it processes). SvelteKit's client build, which resolves
  // its config after the server build, then picks the packages' "development" export conditions:
  // Svelte's dev runtime and Apollo's dev checks ship to the browser. Pinning NODE_ENV for
  // production builds before anything reads it keeps both builds on the production conditions.
  if (command === 'build' && mode === 'production' && !process.env.NODE_ENV)
    process.env.NODE_ENV = 'production';
  return {
    // The dashboard's server (sessions, GraphQL proxy) in `vite dev`; the build gets it from
    // svelte.config.js.
    plugins: [dashboardDevServer(), sveltekit()],
  };
});
