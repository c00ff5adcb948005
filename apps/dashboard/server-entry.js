// The dashboard's start file: svelte.config.js copies it to build/index.js, so that
// `node build/index.js` runs the dashboard's server (sessions, the GraphQL proxy, src/server/)
// in front of the SvelteKit handler that adapter-node wrote to build/handler.js.
import { fileURLToPath } from 'node:url';
import { startDashboardServer } from './dashboard-server.js';

await startDashboardServer({
  clientDir: fileURLToPath(new URL('./client', import.meta.url)),
  // Imported after the settings were read: SvelteKit copies the environment when it loads.
  loadHandler: async () => (await import('./handler.js')).handler,
});
