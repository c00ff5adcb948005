import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The node HTTP server with the timeouts a public port needs, and a graceful close: stop accepting,
 * end SSE streams cleanly, let other responses finish and close their sockets, and destroy what
 * is still open after `timeoutMs`.
 */
export function createHttpServer(
  handler: (inFlight: Set<ServerResponse>) => RequestListener,
  maxConnections: number,
) {
  // Responses being written, so that shutdown can end event streams and close kept-alive sockets.
  const inFlight = new Set<ServerResponse>();
  const server: Server = createServer(
    {
      // A client that has not sent its headers within 10 s is cut off (checked every second).
      headersTimeout: 10_000,
      requestTimeout: 60_000,
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: 5_000,
    },
    handler(inFlight),
  );
  server.maxConnections = maxConnections;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const listen = (port: number, host: string) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });

  const close = async (timeoutMs: number) => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const res of inFlight) {
      // SSE subscriptions never finish on their own: end the stream cleanly (without a `complete`
      // event, so graphql-sse clients reconnect, to another replica). Any other response finishes
      // normally and then closes its socket instead of keeping it alive.
      if (!res.headersSent) res.setHeader('connection', 'close');
      res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
      if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) res.end();
    }
    const deadline = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, timeoutMs);
    await closed;
    clearTimeout(deadline);
  };

  return { server, listen, close };
}
