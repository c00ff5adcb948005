import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, Platform } from '@automl-stream/core';
import type { WorkerMetrics } from './metrics.ts';

/** What the probe answers (GET; HEAD too). */
export const PROBE_ROUTES = ['/health', '/ready', '/metrics'] as const;

export interface WorkerProbe {
  host: string;
  /** The bound port (the ephemeral one when asked for 0). */
  port: number;
  /** http://<host>:<port>, with 127.0.0.1 for a wildcard host. */
  url: string;
  /** Stops listening and closes open connections; afterwards the port refuses connections. */
  close(): Promise<void>;
}

export interface ProbeOptions {
  host: string;
  /** 0 = an ephemeral port (read it back from `WorkerProbe.port`). */
  port: number;
  platform: Platform;
  metrics: WorkerMetrics;
  /** True once the worker's shutdown began: `/health` and `/ready` answer 503 from then on. */
  isStopping: () => boolean;
  logger: Logger;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * The standalone worker's HTTP probe, on plain node:http: `GET /health` (liveness: 200 while the
 * process runs, 503 once it is shutting down), `GET /ready` (the server's readiness checks, with
 * `queues` meaning this worker's queue workers are running) and `GET /metrics` (Prometheus).
 */
export async function startProbe(options: ProbeOptions): Promise<WorkerProbe> {
  const { logger } = options;
  const server = createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, 'worker probe request failed');
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' } });
    });
  });
  await listen(server, options);
  server.on('error', (error) => logger.error({ err: error }, 'worker probe error'));

  const port = (server.address() as AddressInfo).port;
  const urlHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  let closing: Promise<void> | null = null;
  return {
    host: options.host,
    port,
    url: `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Probe requests are short: do not wait for kept-alive sockets to time out.
        server.closeAllConnections();
      })),
  };
}

/** 404 off the probe's routes, 405 for methods other than GET and HEAD; then the route. */
async function handle(options: ProbeOptions, req: IncomingMessage, res: ServerResponse) {
  const path = (req.url ?? '/').split('?')[0]!;
  if (!(PROBE_ROUTES as readonly string[]).includes(path)) {
    const message = `no route ${req.method} ${path}: the worker probe answers GET ${PROBE_ROUTES.join(', ')}`;
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message, routes: PROBE_ROUTES } });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const message = `${req.method} is not allowed on ${path}: use GET`;
    sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message } }, { allow: 'GET, HEAD' });
    return;
  }
  await answer(options, path, res);
}

async function answer(options: ProbeOptions, path: string, res: ServerResponse) {
  const { platform, metrics, isStopping } = options;
  switch (path) {
    case '/health':
      if (isStopping()) sendJson(res, 503, { status: 'stopping' });
      else sendJson(res, 200, { status: 'ok' });
      return;
    case '/ready': {
      const { ready, checks } = await platform.readiness({
        queues: platform.workersRunning && !isStopping(),
      });
      sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
      return;
    }
    case '/metrics': {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
  }
}

function listen(server: ReturnType<typeof createServer>, options: ProbeOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `the worker probe cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}): ` +
            'set WORKER_PORT to a free port, or to 0 to turn the probe off',
          { cause: error },
        ),
      );
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
