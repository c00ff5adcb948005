/**
 * `node build/index.js`: reads the settings, checks the read-only display key (if any) with the
 * platform, then serves SvelteKit's handler behind the DashboardServer on HOST:PORT, relaying
 * the WebSocket upgrades of `/graphql`. SIGTERM / SIGINT: stop accepting, close the sockets
 * (1001, pages reconnect), let requests finish for SHUTDOWN_TIMEOUT seconds.
 *
 * Built into build/dashboard-server.js by svelte.config.js; build/index.js (server-entry.js)
 * calls `startDashboardServer`.
 */
import { readdirSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { DashboardServer } from './dashboard-server.ts';
import { PlatformApi } from './platform-api.ts';
import { type DashboardSettings, forgetSecrets, readSettings, SettingsError } from './settings.ts';

/** SvelteKit's handler from adapter-node (polka-style middleware). */
export type KitHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface StartOptions {
  /** build/client: SvelteKit's browser files. */
  clientDir: string;
  /** Imports build/handler.js (after the secrets left the environment, which SvelteKit reads). */
  loadHandler: () => Promise<KitHandler>;
}

/** How long the start waits for the platform to answer the display-key check. */
const PLATFORM_WAIT_MS = 60_000;

/**
 * Checks DASHBOARD_API_KEY with the platform; resolves with an error message when the dashboard
 * must not start, null when the key is a reader key.
 */
export async function checkDisplayKey(
  api: PlatformApi,
  key: string,
  waitMs = PLATFORM_WAIT_MS,
  log: (line: string) => void = console.log,
): Promise<string | null> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    const verdict = await api.checkReaderRole(key);
    switch (verdict.kind) {
      case 'reader':
        return null;
      case 'refused':
        return `DASHBOARD_API_KEY was refused by the platform at GRAPHQL_URL (${api.graphqlUrl}): ${verdict.message}`;
      case 'above-reader':
        return [
          'DASHBOARD_API_KEY must be a reader key, and this one has more: the platform let it past the role check of a writer operation.',
          'The dashboard shows what this key can do to everyone who opens it without signing in, so it takes a reader key only',
          '(a platform running with AUTH=off treats every key as admin). Create one with',
          '"automl-stream keys create dashboard-display --role reader", or unset DASHBOARD_API_KEY so that people sign in with their own keys.',
        ].join('\n');
      case 'unreachable':
        if (Date.now() >= deadline) return `cannot check DASHBOARD_API_KEY: ${verdict.message}`;
        if (attempt === 0) log(`waiting for the platform to check DASHBOARD_API_KEY (${verdict.message})`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Public files of the build: SvelteKit's `/_app/` and what `static/` holds (e.g. /favicon.svg). */
function publicAssets(clientDir: string): (path: string) => boolean {
  let files: Set<string>;
  try {
    files = new Set(readdirSync(clientDir).map((name) => `/${name}`));
  } catch {
    files = new Set();
  }
  files.delete('/_app');
  return (path) => path.startsWith('/_app/') || files.has(path);
}

function fail(message: string): never {
  console.error(`dashboard: ${message}`);
  process.exit(1);
}

function listen(server: http.Server, settings: DashboardSettings): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : settings.port;
      const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
      console.log(`Listening on http://${host}:${port}`);
      resolve();
    });
  });
}

export async function startDashboardServer(options: StartOptions): Promise<void> {
  let settings: DashboardSettings;
  try {
    settings = readSettings(process.env);
  } catch (error) {
    if (error instanceof SettingsError) fail(error.message);
    throw error;
  }
  forgetSecrets(process.env);
  // adapter-node refuses an empty ORIGIN (Compose passes one when DASHBOARD_ORIGIN is unset).
  if (!settings.origin) delete process.env.ORIGIN;
  const api = new PlatformApi(settings.graphqlUrl);
  if (settings.displayKey) {
    const problem = await checkDisplayKey(api, settings.displayKey);
    if (problem) fail(problem);
  }
  const kit = await options.loadHandler();
  const dashboard = new DashboardServer({ settings, api, isPublicAsset: publicAssets(options.clientDir) });
  const server = http.createServer((req, res) =>
    dashboard.handleRequest(req, res, () =>
      kit(req, res, () => {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
      }),
    ),
  );
  server.on('upgrade', (req, socket, head) => {
    if (!dashboard.handleUpgrade(req, socket, head)) socket.destroy();
  });
  try {
    await listen(server, settings);
  } catch (error) {
    fail(`cannot listen on ${settings.host}:${settings.port}: ${(error as Error).message}`);
  }
  const shutdown = (reason: string) => {
    dashboard.close();
    server.closeIdleConnections();
    server.close();
    console.log(`dashboard: ${reason}, stopping`);
    setTimeout(() => server.closeAllConnections(), settings.shutdownTimeoutMs).unref();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
