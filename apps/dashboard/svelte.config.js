import { copyFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import nodeAdapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { build } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * adapter-node, then the dashboard's own server in front of its handler: src/server/ is compiled
 * to build/dashboard-server.js and server-entry.js becomes build/index.js, so the dashboard
 * still starts with `node build/index.js` (configured by PORT, HOST, ORIGIN, GRAPHQL_URL...; see
 * the README's Dashboard section).
 */
function dashboardAdapter() {
  const adapter = nodeAdapter({ out: 'build' });
  return {
    ...adapter,
    name: 'automl-stream-dashboard',
    async adapt(builder) {
      await adapter.adapt(builder);
      builder.log.minor('Building the dashboard server (sessions, GraphQL proxy)');
      await build({
        configFile: false,
        root: here('.'),
        logLevel: 'warn',
        mode: 'production',
        build: {
          ssr: here('src/server/main.ts'),
          outDir: here('build'),
          emptyOutDir: false,
          target: 'node20',
          sourcemap: true,
          rolldownOptions: { output: { entryFileNames: 'dashboard-server.js', format: 'es' } },
        },
      });
      // adapter-node's own start file is replaced (it would serve without the dashboard's server).
      rmSync(here('build/index.js.map'), { force: true });
      copyFileSync(here('server-entry.js'), here('build/index.js'));
    },
  };
}

/** @type {import('@sveltejs/kit').Config} */
const config = {
  // TypeScript in <script lang="ts"> blocks.
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Svelte 5 runes everywhere (no legacy `$:` / `export let`).
    runes: true,
  },
  kit: {
    adapter: dashboardAdapter(),
    // Root-absolute asset paths: a page loaded at /models that the router moves to
    // /p/default/models would otherwise look for ./favicon.svg under /p/default/.
    paths: { relative: false },
    // Scripts only from the dashboard itself (SvelteKit adds the hash of its inline start-up
    // script), requests only to the dashboard itself (its /graphql proxy, same-origin WebSocket),
    // and no framing. Styles allow inline: Svelte and uPlot set style attributes.
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        'font-src': ['self'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
  },
};

export default config;
