import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { buildSchema, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import config, { sdkGeneratedDir } from '../../../codegen.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const committedDir = path.join(root, sdkGeneratedDir);
const documentsDir = path.join(root, 'packages/sdk/src/documents');
/** The SDK's own documents, one per domain (the dashboard adds `dashboard-*.graphql` beside them). */
const DOMAINS = ['data', 'schema', 'models', 'drift', 'training', 'stats', 'events', 'config', 'pipelines'];

describe('generated documents', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'sdk-codegen-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('are up to date with the schema and the documents (run `pnpm codegen` when this fails)', async () => {
    const target = config.generates[sdkGeneratedDir];
    expect(target).toBeDefined();
    await generate({ ...config, cwd: root, silent: true, generates: { [`${out}/`]: target! } }, true);
    const fresh = readdirSync(out).sort();
    expect(readdirSync(committedDir).sort()).toEqual(fresh);
    for (const file of fresh) {
      expect(
        readFileSync(path.join(committedDir, file), 'utf8'),
        `packages/sdk/src/gql/${file} is stale`,
      ).toBe(readFileSync(path.join(out, file), 'utf8'));
    }
  });

  it('cover every query, mutation and subscription of the schema', () => {
    const schema = buildSchema(readFileSync(path.join(root, 'apps/server/schema.graphql'), 'utf8'));
    const used = { query: new Set<string>(), mutation: new Set<string>(), subscription: new Set<string>() };
    for (const domain of DOMAINS) {
      const document = parse(readFileSync(path.join(documentsDir, `${domain}.graphql`), 'utf8'));
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        const operation = definition as OperationDefinitionNode;
        for (const selection of operation.selectionSet.selections) {
          if (selection.kind === Kind.FIELD) used[operation.operation].add(selection.name.value);
        }
      }
    }
    const missing = (
      [
        ['query', schema.getQueryType()],
        ['mutation', schema.getMutationType()],
        ['subscription', schema.getSubscriptionType()],
      ] as const
    ).flatMap(([kind, type]) =>
      Object.keys(type?.getFields() ?? {})
        .filter((f) => !used[kind].has(f))
        .map((f) => `${kind} ${f}`),
    );
    expect(missing).toEqual([]);
    expect(used.query.size).toBeGreaterThanOrEqual(13);
    expect(used.mutation.size).toBe(11);
    expect(used.subscription.size).toBe(6);
  });
});
