import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../context.ts';
import type { ServerContext } from '../http-handler.ts';

/** The REST routes (the original pipeline's, health, readiness, metrics) answered before GraphQL. */
export function useRestRoutes(
  rest: (request: Request, context: ServerContext) => Promise<Response> | undefined,
): Plugin<GraphQLContext, ServerContext> {
  return {
    onRequest({ request, serverContext, endResponse }) {
      const answer = rest(request, serverContext);
      if (answer) return answer.then(endResponse);
    },
  };
}
