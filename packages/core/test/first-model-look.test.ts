// A replica learns of a promotion by a notice (LISTEN/NOTIFY), which may come an instant after
// the promotion committed: activeModel already names the version while the replica's memory holds
// none. Predict looked once for it; ingest did not, so labelled rows sent in that instant were
// stored unscored, and the first version's check found "0 of 0 labelled outcomes" to judge it on
// (a dashboard test failed that way under load). Both now look once when no model is in memory.
// The platform here has no serving, so no notice ever arrives: only the look can find v1.
import { describe, expect, it } from 'vitest';
import { quietPlatformForSuite } from './quiet-platform.ts';

function rows(n: number, offset: number) {
  const features = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    return [((k * 7919) % 1000) / 1000, ((k * 104_729) % 997) / 997];
  });
  return { features, labels: features.map((f) => Number(f[0]! > 0.5)) };
}

describe('a model promoted before this process was told', () => {
  const suite = quietPlatformForSuite({
    MIN_TRAIN_ROWS: '300',
    AUTOML_BUDGET_SECONDS: '0',
    N_ESTIMATORS: '10',
  });

  it('scores the next labelled rows and predictions with it', async () => {
    const { platform } = suite;
    const first = await platform.data.ingest({ ...rows(400, 0), batchId: 'before' });
    expect(first).toMatchObject({ scoredRows: 0, modelVersion: null });
    const { job } = await platform.drift.requestRetrain('the first model');
    await platform.retrain.run(job.id);
    expect((await platform.registry.production())?.version).toBe(1);

    const next = await platform.data.ingest({ ...rows(50, 400), batchId: 'after' });
    expect(next).toMatchObject({ rowsStored: 50, scoredRows: 50, modelVersion: 1 });
    expect(next.batchAccuracy).toBeGreaterThan(0.8);
    const predicted = await platform.data.predict({ features: [[0.9, 0.1]] });
    expect(predicted.modelVersion).toBe(1);
  }, 60_000);
});
