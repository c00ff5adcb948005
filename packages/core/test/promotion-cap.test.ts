// A winning challenger that MAX_PROMOTIONS_PER_HOUR withholds is stored rejected (M15), but the
// drift it answered is not accepted: the new rows did give a better model, so the serving
// version's loss is real and its level test keeps alarming (paced by the back-off).
import { describe, expect, it } from 'vitest';
import { getProductionVersion } from '../src/storage/models-storage.ts';
import { CONCEPT_SETTINGS, conceptRows, driftToB } from './concepts.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

const SETTINGS = { ...CONCEPT_SETTINGS, DRIFT_COOLDOWN_ROWS: '100', MAX_PROMOTIONS_PER_HOUR: '1' };

describe('the promotion cap', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('withholds the winner without accepting the drift it answered', async () => {
    const { db, platform } = suite;
    expect(await platform.retrain.run(await driftToB(db, platform))).toMatchObject({
      promoted: false,
      version: { version: 2, rejectedReason: expect.stringMatching(/MAX_PROMOTIONS_PER_HOUR \(1\)/) },
    });
    const [v2] = await db.sql<{ withheld: string }[]>`
      select params->>'withheld' as withheld from model_versions where version = 2`;
    expect(v2!.withheld).toBe('promotion cap');
    expect((await getProductionVersion(db.sql, 1))?.version).toBe(1);

    // v1 still fails on concept B: the next check says so (a drift accepted at the withheld
    // retrain would read only the outcomes after it, and promise what v1 erred there).
    await platform.data.ingest({ ...conceptRows(300, 1600, true), batchId: 'b-more' });
    const after = await platform.drift.check('manual');
    expect(after.check).toMatchObject({ modelVersion: 1, conceptDrift: true });
    expect(after.check!.details.level).toMatchObject({ alarm: true });
    expect(after.check!.details.level).toMatchObject({ accepted: null, outcomes: 900 });
  }, 60_000);
});
