// The request-shaping plugins, each on a small Yoga through yoga.fetch (no sockets, no database):
// what a client sends in, what status and `extensions.code` come back.
import { loadConfig } from '@automl-stream/config';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useArmor } from './use-armor.ts';
import { useErrorCodes } from './use-error-codes.ts';
import { useMediaTypeHelp } from './use-media-type-help.ts';
import { maxNesting, useNestingGuard } from './use-nesting-guard.ts';
import { useProbes } from './use-probes.ts';

const schema = createSchema({
  typeDefs: 'type Node { id: Int, child: Node } type Query { node(id: Int!): Node, hello: String }',
  resolvers: { Query: { hello: () => 'hi', node: (_: unknown, a: { id: number }) => ({ id: a.id }) } },
});
const limits = loadConfig({}).limits;

function yogaWith(...plugins: Plugin[]) {
  return createYoga({ schema, plugins, maskedErrors: false, logging: false });
}

async function post(yoga: ReturnType<typeof yogaWith>, body: unknown, contentType = 'application/json') {
  const response = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] },
  };
}

describe('useNestingGuard', () => {
  it('counts braces and brackets outside strings and comments', () => {
    expect(maxNesting('{ a { b(x: [1, [2]]) } }', 100)).toBe(4);
    expect(maxNesting('{ a(s: "{{{{") # {{{{\n }', 100)).toBe(1);
    expect(maxNesting('{ a(s: """ {{{ \\""" {{ """) }', 100)).toBe(1);
  });

  it('refuses a deeply nested document before graphql-js parses it, naming the setting', async () => {
    const deep = `{${'node(id: 1) {'.repeat(70)} id ${'}'.repeat(70)}}`;
    const { body } = await post(yogaWith(useNestingGuard(12, false)), { query: deep });
    expect(body.errors?.[0]).toMatchObject({
      message: 'Document nesting limit of 64 braces and brackets exceeded (4 × GRAPHQL_MAX_DEPTH)',
      extensions: { code: 'QUERY_TOO_COMPLEX' },
    });
    const { body: ok } = await post(yogaWith(useNestingGuard(12, false)), { query: '{ hello }' });
    expect(ok).toEqual({ data: { hello: 'hi' } });
  });
});

describe('useErrorCodes', () => {
  it('gives validation errors and variables that do not coerce a code', async () => {
    const yoga = yogaWith(useErrorCodes());
    const invalid = await post(yoga, { query: '{ nope }' });
    expect(invalid.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const badVariable = await post(yoga, {
      query: 'query($id: Int!) { node(id: $id) { id } }',
      variables: { id: 'x' },
    });
    expect(badVariable.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('useMediaTypeHelp', () => {
  it('answers a body of the wrong type with what to send', async () => {
    const { status, body } = await post(yogaWith(useMediaTypeHelp()), 'query { hello }', 'text/plain');
    expect(status).toBe(415);
    expect(body.errors?.[0]).toEqual({
      message: 'send the operation as JSON with Content-Type: application/json (got "text/plain")',
      extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
    });
  });
});

describe('useArmor', () => {
  it('refuses too many aliases with QUERY_TOO_COMPLEX and the setting, without a syntax-error prefix', async () => {
    const aliases = Array.from({ length: limits.maxAliases + 1 }, (_, i) => `a${i}: hello`).join(' ');
    const { body } = await post(yogaWith(useArmor(limits, false) as Plugin), { query: `{ ${aliases} }` });
    const error = body.errors?.[0];
    expect(error?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(error?.message).toMatch(/\(GRAPHQL_MAX_ALIASES\)$/);
    expect(error?.message).not.toMatch(/^Syntax Error/);
  });
});

describe('useProbes', () => {
  const checks = { database: true, migrations: true, queues: true };
  function probes(
    answers: { ready: boolean; checks: typeof checks & { error?: string } }[],
    accepting = true,
  ) {
    const warnings: unknown[] = [];
    let calls = 0;
    const plugin = useProbes({
      readiness: async () => answers[Math.min(calls++, answers.length - 1)]!,
      logger: { warn: (details: unknown) => void warnings.push(details) } as never,
      isReady: () => accepting,
    });
    return { yoga: yogaWith(plugin as Plugin), warnings, calls: () => calls };
  }

  it('answers /ready with the status and checks, cached for a second', async () => {
    const { yoga, calls } = probes([{ ready: true, checks }]);
    const first = await yoga.fetch('http://localhost/ready');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ status: 'ready', checks });
    await yoga.fetch('http://localhost/ready');
    expect(calls()).toBe(1);
  });

  it('says why it is not ready in a word, and keeps the database error in the log', async () => {
    const down = {
      ready: false,
      checks: { ...checks, database: false, error: 'password authentication failed' },
    };
    const { yoga, warnings } = probes([down]);
    const response = await yoga.fetch('http://localhost/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not_ready',
      reason: 'database_unavailable',
      checks: { ...checks, database: false },
    });
    expect(warnings).toEqual([{ reason: 'password authentication failed' }]);
  });

  it("refuses other methods on /ready, and /health is Yoga's liveness check", async () => {
    const { yoga } = probes([{ ready: true, checks }]);
    const post = await yoga.fetch('http://localhost/ready', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
    const health = await yoga.fetch('http://localhost/health');
    expect(health.status).toBe(200);
  });
});
