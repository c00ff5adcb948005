import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { TrustedDocuments } from './trusted-documents.ts';

describe('TrustedDocuments', () => {
  const trusted = new TrustedDocuments([
    parse('query Models($limit: Int) { models(limit: $limit) { items { version status } } }'),
  ]);

  it('allows a listed document however it is formatted, with or without __typename', () => {
    expect(
      trusted.allows('query Models($limit: Int) { models(limit: $limit) { items { version status } } }'),
    ).toBe(true);
    expect(
      trusted.allows(`query Models($limit: Int) {
        models(limit: $limit) { items { version status __typename } __typename }
      }`),
    ).toBe(true);
  });

  it('refuses anything else: other fields, introspection, other names, two operations, junk', () => {
    for (const query of [
      'query Models($limit: Int) { models(limit: $limit) { items { version status params } } }',
      '{ __schema { types { name } } }',
      'query Other($limit: Int) { models(limit: $limit) { items { version status } } }',
      'query Models($limit: Int) { models(limit: $limit) { items { version status } } } query X { stats { rowsIngested } }',
      'mutation { rollbackModel { version } }',
      'not graphql',
      '',
      undefined,
      42,
      `query Models { ${'a '.repeat(20_000)} }`,
    ])
      expect(trusted.allows(query), String(query).slice(0, 60)).toBe(false);
  });

  it("knows the dashboard's own documents from the SDK", () => {
    const dashboard = TrustedDocuments.dashboard();
    // One per `Dashboard*` operation of packages/sdk/src/documents/dashboard-*.graphql.
    expect(dashboard.size).toBe(15);
    expect(
      dashboard.allows(
        'mutation DashboardRollbackModel($pipeline: String) { rollbackModel(pipeline: $pipeline) { version status promotedAt __typename } }',
      ),
    ).toBe(true);
    expect(
      dashboard.allows(
        'mutation DashboardRollbackModel($pipeline: String) { rollbackModel(pipeline: $pipeline) { version } }',
      ),
    ).toBe(false);
    // The fleet's feed of every pipeline, as the dashboard words it; not the SDK's own FleetEvents.
    expect(
      dashboard.allows(
        'subscription DashboardFleetEvents { platformEvents(allPipelines: true) { id type pipeline at __typename } }',
      ),
    ).toBe(true);
    expect(
      dashboard.allows(
        'subscription FleetEvents { platformEvents(allPipelines: true) { id type pipeline payload at } }',
      ),
    ).toBe(false);
  });
});
