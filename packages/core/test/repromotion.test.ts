// A recurring concept is served again with no training: when the labels locate a change back to a
// concept an archived version learned, the drift's retrain scores the archived versions on the rows
// since the change and re-promotes the one that beats the serving version there and keeps its
// promise (spec P6); its level test then reads only its new reign.
import { describe, expect, it } from 'vitest';
import { getProductionVersion } from '../src/storage/models-storage.ts';
import { getTrainingJob } from '../src/storage/training-storage.ts';
import { CONCEPT_SETTINGS, conceptRows, driftToB } from './concepts.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

describe('a concept that comes back', () => {
  const suite = quietPlatformForSuite(CONCEPT_SETTINGS);

  it('serves the archived version of it again, with no training, and judges it by its new reign', async () => {
    const { db, platform } = suite;
    // Concept B: v1 fails, the drift's retrain learns B (v2).
    expect(await platform.retrain.run(await driftToB(db, platform))).toMatchObject({
      promoted: true,
      version: { version: 2 },
    });
    await platform.holder.refresh();

    // Concept A again: v2 fails; v1, archived, fits the rows since the change.
    await platform.data.ingest({ ...conceptRows(400, 1600, false), batchId: 'a-again' });
    const toA = await platform.drift.check('manual');
    expect(toA.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    const jobId = toA.check!.trainingJobId!;
    expect(await platform.retrain.run(jobId)).toMatchObject({ promoted: true, version: { version: 1 } });
    expect(await getTrainingJob(db.sql, 1, jobId)).toMatchObject({
      status: 'succeeded',
      outcome: 'repromoted',
      resultVersion: 1,
    });
    expect((await getProductionVersion(db.sql, 1))?.version).toBe(1);
    const versions = await db.sql<{ n: number }[]>`select count(*)::int as n from model_versions`;
    expect(versions[0]?.n).toBe(2);
    const [promoted] = await db.sql<
      { payload: { version: number; previousVersion: number; reason: string } }[]
    >`
      select payload from events where type = 'model.promoted' order by id desc limit 1`;
    expect(promoted!.payload).toMatchObject({ version: 1, previousVersion: 2 });
    expect(promoted!.payload.reason).toMatch(
      /^re-promoted with no training: archived v1 scores [01]\.\d+ on the \d+ labelled rows since the change, the serving v2 0\.\d+/,
    );

    // Serving again, v1 is judged by what it serves now, not by the errors that ended its first reign.
    await platform.holder.refresh();
    await platform.data.ingest({ ...conceptRows(400, 2000, false), batchId: 'a-more' });
    const after = await platform.drift.check('manual');
    expect(after.check).toMatchObject({ modelVersion: 1, conceptDrift: false });

    // Its growth is measured on the regime it serves again (since the change back to A), not on
    // the regime of v2, the newest version (since the change to B: a window of both concepts).
    await platform.data.ingest({ ...conceptRows(1300, 2400, false), batchId: 'a-grows' });
    const growth = await platform.drift.retrains.growth((await getProductionVersion(db.sql, 1))!);
    const backToA = (await getTrainingJob(db.sql, 1, jobId))!;
    expect(growth?.reason).toMatch(
      /^growth of the new regime: \d+ labelled rows available since the change at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(row id \d+\), v1 used 1000$/,
    );
    expect(growth?.changeAt).toEqual(backToA.changeAt);
    expect(growth?.changeRowId).toBe(backToA.changeRowId);
    await db.sql`update training_jobs set status = 'failed', finished_at = now() where id = ${growth!.id}`;
  }, 60_000);

  it('trains as before when no archived version fits the new rows', async () => {
    const { db, platform } = suite;
    // Concept B once more: v1 serves and fails; v2 (archived, concept B) fits, so it serves again...
    await platform.data.ingest({ ...conceptRows(400, 3700, true), batchId: 'b-again' });
    const toB = await platform.drift.check('manual');
    expect(toB.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    await platform.retrain.run(toB.check!.trainingJobId!);
    expect((await getProductionVersion(db.sql, 1))?.version).toBe(2);
    await platform.holder.refresh();
    // ...and a concept neither knows (the label from x1) is trained for: a new version.
    const x1 = conceptRows(500, 4100, false);
    const labels = x1.features.map((f) => Number(f[1]! > 0.5));
    await platform.data.ingest({ features: x1.features, labels, batchId: 'x1' });
    const toC = await platform.drift.check('manual');
    expect(toC.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    const trained = await platform.retrain.run(toC.check!.trainingJobId!);
    expect(trained.version?.version).toBe(3);
    expect(trained.version?.rejectedReason ?? null).toBeNull();
    // Its window [B again, C) straddles the change (located where v2 began to serve): on all of its
    // rows the failing v2 wins on the B ones; on the newest (all C) the challenger does.
    expect(trained.version?.params.gate).toMatch(/on the newest \d+ of the 900 gate rows/);
    expect(await getTrainingJob(db.sql, 1, toC.check!.trainingJobId!)).toMatchObject({ outcome: 'promoted' });
  }, 60_000);
});
