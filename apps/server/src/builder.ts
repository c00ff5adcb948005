import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError, Kind } from 'graphql';
import type { GraphQLContext, Role } from './context.ts';
import { forbidden, hasRole, mayUsePipeline, pipelineForbidden } from './roles.ts';

interface ScopeFailure {
  scope?: string;
  parameter?: unknown;
  failures?: ScopeFailure[];
}

/** The first failed scope of a (possibly combined, `$all`) failure. */
function firstScopeFailure(failure: ScopeFailure): ScopeFailure | null {
  if (failure.scope) return failure;
  for (const inner of failure.failures ?? []) {
    const found = firstScopeFailure(inner);
    if (found) return found;
  }
  return null;
}

/**
 * Plugins and scalars only; each type lives in schema/<type>.ts. Roles are scope-auth scopes: a
 * root field says `authScopes: { writer: true }` and the plugin refuses lower roles with FORBIDDEN
 * before the resolver (for subscriptions, before subscribing). Pipeline-scoped keys add a scope.
 */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: Record<Role, boolean> & { pipeline: string };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ScopeAuthPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      reader: hasRole(ctx.principal, 'reader'),
      writer: hasRole(ctx.principal, 'writer'),
      admin: hasRole(ctx.principal, 'admin'),
      pipeline: (name: string) => mayUsePipeline(ctx.principal, name),
    }),
    unauthorizedError: (_parent, ctx, _info, result) => {
      const failure = firstScopeFailure(result.failure as ScopeFailure);
      if (failure?.scope === 'pipeline') return pipelineForbidden(ctx.principal, String(failure.parameter));
      return forbidden(ctx.principal, (failure?.scope ?? 'admin') as Role);
    },
  },
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
});

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string in UTC.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw new GraphQLError('DateTime must be an ISO-8601 string', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return new Date(ast.value);
  },
});

builder.scalarType('JSON', {
  description: 'Free-form JSON (model parameters, detector details).',
  serialize: (value) => value,
  parseValue: (value) => value,
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
