import type { Plugin } from 'graphql-yoga';
import { type Access, graphqlErrorResponse } from '../auth.ts';
import { clientAddress } from '../client-address.ts';
import type { GraphQLContext } from '../context.ts';
import { asDomainError } from '../errors.ts';
import type { ServerContext } from '../http-handler.ts';
import type { RateLimiter } from '../rate-limit.ts';

/**
 * Who is calling, and within their rate, is settled before the document is even parsed: an
 * anonymous client learns nothing about the schema, and a rejected request costs one hash lookup
 * (cached). The node handler does this before reading the body; this covers what it passes on
 * unchecked (a GET asking for HTML when GraphiQL is off, in production) and requests handed to
 * yoga.fetch directly. GraphiQL's page and CORS preflights are answered earlier by Yoga.
 */
export function useAccess(deps: {
  access: Access;
  rateLimiter: RateLimiter;
  trustProxy: number;
}): Plugin<GraphQLContext, ServerContext> {
  return {
    onRequest({ request, url, serverContext, endResponse }) {
      if (serverContext.admitted) return;
      if (url.pathname !== '/graphql' || (request.method !== 'GET' && request.method !== 'POST')) return;
      return (async () => {
        try {
          const address = clientAddress(serverContext.req, deps.trustProxy);
          const principal = await deps.access.authenticate(request.headers.get('authorization'), address);
          await deps.rateLimiter.check(principal, address);
          serverContext.principal = principal;
          serverContext.admitted = true;
        } catch (error) {
          const domain = asDomainError(error);
          if (!domain) throw error;
          endResponse(graphqlErrorResponse(domain));
        }
      })();
    },
  };
}
