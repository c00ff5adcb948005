/**
 * The models page in a real browser says which features a drift retrain was trained without and
 * the transfer over the change that decided it, as the API holds it (ModelVersion.featuresLeftOut).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifacts, browserSuite, until } from './harness.ts';

// One check, asked for: a second check that saw the features move would take the change for a
// covariate shift, whose window reaches back and measures nothing.
const PLATFORM_ENV = {
  AUTOML_BUDGET_SECONDS: '0',
  MIN_TRAIN_ROWS: '300',
  GROWTH_RETRAIN_ROWS: '100000',
  WINDOW_SIZE: '5000',
  CHECK_INTERVAL_SECONDS: '86400',
  DRIFT_CHECK_MIN_INTERVAL_SECONDS: '0',
  WORKERS: 'true',
  N_ESTIMATORS: '30',
};

const INGEST = `mutation Ingest($input: IngestInput!) { ingest(input: $input) { rowsStored } }`;
const HISTORY = `{
  driftEvents(limit: 5) { items { id action explanation } }
  trainingJobs(limit: 5) { items { id reason status outcome error metrics } }
}`;

/** A reading = level + deviation, the deviation as a second, noisier instrument sees it, noise. */
function levelRows(level: number, n: number, offset: number, noise: number) {
  const features = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const deviation = ((k * 7919) % 1000) / 500 - 1;
    return [level + deviation, deviation + noise * (((k * 104_729) % 997) / 997 - 0.5), k % 3];
  });
  return { features, labels: features.map((x) => Number(x[0]! - level > 0)) };
}

interface Version {
  version: number;
  featuresLeftOut: {
    names: string[];
    pastRows: number;
    transferAccuracyWith: number;
    transferAccuracyWithout: number;
  } | null;
}

describe('features left out, on the models page', () => {
  const suite = browserSuite(PLATFORM_ENV, 'left-out-dashboard.log');
  const active = () =>
    suite.api<{ activeModel: Version | null }>(
      '{ activeModel { version featuresLeftOut { names pastRows transferAccuracyWith transferAccuracyWithout } } }',
    );

  it('names the left-out feature and the transfer accuracies of the drift retrain', async () => {
    await suite.api(INGEST, { input: levelRows(0, 1200, 0, 0.5) });
    await until('version 1', active, (d) => d.activeModel?.version === 1, 60_000);
    // Scored by v1 as they arrive: the check judges v1 on them.
    const shifted = await suite.api<{ ingest: { scoredRows: number; modelVersion: number | null } }>(
      'mutation Ingest($input: IngestInput!) { ingest(input: $input) { scoredRows modelVersion } }',
      { input: levelRows(3, 500, 1200, 0) },
    );
    expect(shifted.ingest).toEqual({ scoredRows: 500, modelVersion: 1 });
    await suite.api('mutation { checkDrift { skipped } }');
    const { activeModel } = await until(
      'the drift retrain serving',
      active,
      (d) => (d.activeModel?.version ?? 0) > 1,
      90_000,
    ).catch(async (error: Error) => {
      // What the checks and jobs did, so that a failure says why no drift retrain served.
      throw new Error(`${error.message}\n${JSON.stringify(await suite.api(HISTORY))}`);
    });
    const leftOut = activeModel!.featuresLeftOut!;
    expect(leftOut.names).toEqual(['f0']);

    const { page } = suite.browser;
    await page.goto(`${suite.dashboard.url}/p/default/models`);
    const line = page.locator(
      `[data-testid="model-row"][data-version="${activeModel!.version}"] [data-testid="model-left-out"]`,
    );
    await line.waitFor({ timeout: 10_000 });
    const percent = (x: number) => `${(100 * x).toFixed(1)} %`;
    expect((await line.textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      `trained without f0: a model of the ${leftOut.pastRows.toLocaleString('en-US')} rows before the change predicted the window ${percent(leftOut.transferAccuracyWith)} right with it, ${percent(leftOut.transferAccuracyWithout)} without`,
    );
    expect(
      await page
        .locator('[data-testid="model-row"][data-version="1"] [data-testid="model-left-out"]')
        .count(),
    ).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'models-left-out-1280.png'), fullPage: true });
  });
});
