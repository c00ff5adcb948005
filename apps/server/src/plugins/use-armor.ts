import type { Config } from '@automl-stream/config';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError } from 'graphql';

/**
 * graphql-armor's depth, alias, token, cost and directive limits. Its rejections carry no code and
 * a misleading "Syntax Error:" prefix; they get QUERY_TOO_COMPLEX and name the setting to raise. In
 * production the numbers stay hidden, and so do field suggestions.
 */
export function useArmor(limits: Config['limits'], production: boolean) {
  const tooComplex = (setting: string, limit: string) => ({
    exposeLimits: !production,
    errorMessage: `${limit} limit exceeded`,
    onReject: [
      (_context: unknown, error: GraphQLError) => {
        const message = `${error.message.replace(/^Syntax Error: /, '').replace(/\.$/, '')} (${setting})`;
        throw new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX' } });
      },
    ],
  });
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, ...tooComplex('GRAPHQL_MAX_DEPTH', 'Query depth') },
    maxAliases: { n: limits.maxAliases, ...tooComplex('GRAPHQL_MAX_ALIASES', 'Aliases') },
    maxTokens: { n: limits.maxTokens, ...tooComplex('GRAPHQL_MAX_TOKENS', 'Token') },
    costLimit: { maxCost: limits.maxCost, ...tooComplex('GRAPHQL_MAX_COST', 'Query cost') },
    maxDirectives: { n: limits.maxDirectives, ...tooComplex('GRAPHQL_MAX_DIRECTIVES', 'Directives') },
    blockFieldSuggestion: { enabled: production },
  });
}
