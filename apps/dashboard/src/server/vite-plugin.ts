/**
 * The dashboard's server in `vite dev`: the same sessions, proxy and checks as in production
 * (src/server/main.ts), mounted in front of Vite's own middleware. Vite's module requests
 * (/@vite/..., /src/..., /node_modules/...) stay public in development, like the built pages'
 * code in production; pages, their data and /graphql need a session.
 */
import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'vite';
import { DashboardServer } from './dashboard-server.ts';
import { checkDisplayKey } from './main.ts';
import { PlatformApi } from './platform-api.ts';
import { readSettings } from './settings.ts';

/** In development, anything the browser loads as a module or a file rather than as a page. */
function isDevAsset(path: string, req: IncomingMessage): boolean {
  if (path.endsWith('/__data.json')) return false;
  const destination = req.headers['sec-fetch-dest'];
  return destination !== undefined && destination !== 'document' && destination !== 'iframe';
}

export function dashboardDevServer(): Plugin {
  return {
    name: 'automl-stream-dashboard-server',
    apply: 'serve',
    async configureServer(server) {
      const settings = readSettings(process.env);
      const api = new PlatformApi(settings.graphqlUrl);
      if (settings.displayKey) {
        const problem = await checkDisplayKey(api, settings.displayKey);
        if (problem) throw new Error(problem);
      }
      const dashboard = new DashboardServer({ settings, api, isPublicAsset: isDevAsset });
      server.middlewares.use((req, res, next) => dashboard.handleRequest(req, res, () => next()));
      server.httpServer?.on('upgrade', (req, socket, head) => {
        dashboard.handleUpgrade(req, socket, head);
      });
      server.httpServer?.on('close', () => dashboard.close());
    },
  };
}
