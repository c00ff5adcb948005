// H5 (security audit): a version that every serving replica would have to load is measured from
// its artifact's header before it may serve: promotion and rollback refuse it, and a serving
// process that finds it in production keeps what it has instead of loading it.
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { forestMemoryBytes, readArtifactShape, trainForest } from '@automl-stream/ml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DomainError } from '../src/errors.ts';
import { RegistryService } from '../src/registry-service.ts';
import { ModelHolder } from '../src/serving-model.ts';
import { insertModelVersion, setProduction } from '../src/storage/models-storage.ts';

async function storeVersion(db: TestDatabase, nClasses: number) {
  const features = Array.from({ length: 200 }, (_, i) => [i % 17, (i * 7) % 13, (i * 5) % 11]);
  const labels = features.map((_, i) => i % nClasses);
  const forest = await trainForest(features, labels, { nEstimators: 5, seed: 1, nClasses, threads: 1 });
  const artifact = forest.serialize();
  const record = await db.sql.begin((tx) =>
    insertModelVersion(tx, 1, {
      status: 'candidate',
      params: { nClasses },
      metrics: { accuracy: 0.5, f1: 0.5, logLoss: 1, holdoutRows: 10 },
      championMetrics: null,
      featureImportances: [0.3, 0.3, 0.4],
      nFeatures: 3,
      nClasses,
      trainRows: 200,
      holdoutRows: 10,
      rowWindowStart: null,
      rowWindowEnd: null,
      trainingMs: 1,
      trainingJobId: null,
      reason: 'test',
      rejectedReason: null,
      artifact,
      referenceSample: new Uint8Array(0),
      referenceRows: 0,
      referencePredictions: new Array(nClasses).fill(0),
    }),
  );
  return { version: record.version, bytes: forestMemoryBytes(readArtifactShape(artifact)) };
}

describe('model size at promotion, rollback and load (H5)', () => {
  let db: TestDatabase;
  let small: { version: number; bytes: number };
  let wide: { version: number; bytes: number };
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    small = await storeVersion(db, 2);
    wide = await storeVersion(db, 200);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('measures the wide model as many times the small one', () => {
    expect(wide.bytes).toBeGreaterThan(10 * small.bytes);
  });

  it('refuses to promote a version above the limit, and promotes one within it', async () => {
    const limit = Math.floor((small.bytes + wide.bytes) / 2);
    const registry = new RegistryService(db.sql, limit);
    const refused = await registry.promote(wide.version).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('CONFLICT');
    expect((refused as DomainError).message).toMatch(
      new RegExp(
        `^model version ${wide.version} cannot serve: the model would hold [\\d.]+ MB in memory once loaded \\(\\d+ leaves × 200 classes\\), above MAX_MODEL_BYTES`,
      ),
    );
    expect((await registry.promote(small.version)).status).toBe('production');
  });

  it('does not load a production version above the limit: keeps the model it has, and says why', async () => {
    const limit = Math.floor((small.bytes + wide.bytes) / 2);
    const holder = new ModelHolder(db.sql, { maxModelBytes: limit });
    expect((await holder.refresh())?.version).toBe(small.version);
    // Made production behind the registry's back (by SQL, or before the limit was lowered).
    await db.sql.begin((tx) => setProduction(tx, 1, wide.version, 'promoted', 'by hand'));
    await expect(holder.refresh()).rejects.toThrow(
      new RegExp(`^production version ${wide.version} is not loaded: the model would hold`),
    );
    expect(holder.current?.version).toBe(small.version);
    // Refused once, measured once: the next refresh answers from memory, without the artifact.
    await expect(holder.refresh()).rejects.toThrow(/is not loaded/);

    // Rolling back to the small version works, and the holder has nothing to load.
    expect((await new RegistryService(db.sql, limit).rollback('back')).version).toBe(small.version);
    expect((await holder.refresh())?.version).toBe(small.version);
  });

  it('refuses to roll back to a version above the limit', async () => {
    const limit = Math.floor((small.bytes + wide.bytes) / 2);
    await db.sql.begin((tx) => setProduction(tx, 1, wide.version, 'promoted', 'wide again'));
    await db.sql.begin((tx) => setProduction(tx, 1, small.version, 'promoted', 'small again'));
    const refused = await new RegistryService(db.sql, limit)
      .rollback('to the wide one')
      .catch((e: unknown) => e);
    expect((refused as DomainError).code).toBe('CONFLICT');
    expect((refused as DomainError).message).toMatch(
      new RegExp(`^model version ${wide.version} cannot serve`),
    );
  });
});
