/**
 * `POST /graphql`: the pages' queries and mutations, forwarded to the platform with the key of
 * the request's session (or the read-only display key) when they are the dashboard's own
 * (trusted-documents.ts). The platform's answer goes back as it is, so its codes and messages
 * (FORBIDDEN, RATE_LIMITED...) reach the page unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardServer } from './dashboard-server.ts';
import { HttpError, mediaType, OWN_ANSWER_HEADERS, readBody, sendGraphQLError } from './http.ts';
import { UNTRUSTED_MESSAGE } from './trusted-documents.ts';

/** The dashboard's own operations are a few kB; the platform has its own, larger limit for other clients. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Headers of the platform's answer that the page may see. */
const RELAYED_HEADERS = ['content-type', 'retry-after'];

/** The `query` of a GraphQL request body; undefined for anything else (a batch, a persisted-query hash). */
function queryOf(body: Buffer): unknown {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as { query?: unknown }).query
      : undefined;
  } catch {
    throw new HttpError(400, 'the body is not JSON: send {"query": ..., "variables": ...}', 'BAD_REQUEST');
  }
}

export async function proxyGraphQL(
  server: DashboardServer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'POST') {
    // GET would let a link or an <img> run a query with the person's session.
    return sendGraphQLError(res, 405, 'BAD_REQUEST', 'the dashboard forwards GraphQL over POST only');
  }
  const access = server.access(req);
  if (access.kind === 'none')
    return sendGraphQLError(res, 401, 'UNAUTHENTICATED', 'no dashboard session: sign in again at /signin');
  // A form or a no-cors fetch from another page can only send text/plain or form types.
  if (mediaType(req) !== 'application/json')
    throw new HttpError(415, 'send GraphQL requests as application/json');
  const body = await readBody(req, MAX_BODY_BYTES);
  if (!server.trusted.allows(queryOf(body)))
    return sendGraphQLError(res, 403, 'FORBIDDEN', UNTRUSTED_MESSAGE);
  const key = access.kind === 'session' ? access.session.key : access.key;
  let upstream: Response;
  try {
    upstream = await server.api.forward(body, key, req.headers.accept);
  } catch (error) {
    return sendGraphQLError(
      res,
      502,
      'UNAVAILABLE',
      `the dashboard cannot reach the platform at ${server.api.graphqlUrl}: ${(error as Error).message}`,
    );
  }
  // The key was revoked since sign-in: the session is over (its sockets close too).
  if (upstream.status === 401 && access.kind === 'session')
    server.sessions.end(access.session.id, 'API key refused');
  const answer = Buffer.from(await upstream.arrayBuffer());
  const headers: Record<string, string> = { ...OWN_ANSWER_HEADERS, 'content-length': String(answer.length) };
  for (const name of RELAYED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) headers[name] = value;
  }
  res.writeHead(upstream.status, headers);
  res.end(answer);
}
