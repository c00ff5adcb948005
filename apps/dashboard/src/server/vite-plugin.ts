/**
 * The dashboard's server in `vite dev`: the same sessions, proxy and checks as in production
 * (src/server/main.ts), mounted in front of Vite's own middleware. Vite's module requests
 * (/@vite/..., /src/..., /node_modules/...) stay public in development, like the built pages'
 * code in production; pages, their data and /graphql need a session.
 *
 * vite.config.ts imports this file as plain Node code, so it imports the server's modules only
 * as types and loads them through Vite (they import the SDK's TypeScript sources).
 */
import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'vite';
import type * as Server from './dashboard-server.ts';
import type * as Main from './main.ts';
import type * as Api from './platform-api.ts';
import type * as Settings from './settings.ts';

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
      const load = <T>(path: string) => server.ssrLoadModule(path) as Promise<T>;
      const { readSettings } = await load<typeof Settings>('/src/server/settings.ts');
      const { PlatformApi } = await load<typeof Api>('/src/server/platform-api.ts');
      const { checkDisplayKey } = await load<typeof Main>('/src/server/main.ts');
      const { DashboardServer } = await load<typeof Server>('/src/server/dashboard-server.ts');
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
