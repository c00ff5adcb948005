/**
 * The models page in a real browser says when a version promises its forward error (its rows are
 * serially dependent), as the API holds it (ModelVersion.forwardCheck).
 */
import { describe, expect, it } from 'vitest';
import { browserSuite, until } from './harness.ts';

const PLATFORM_ENV = {
  AUTOML_BUDGET_SECONDS: '0',
  MIN_TRAIN_ROWS: '300',
  GROWTH_RETRAIN_ROWS: '100000',
  CHECK_INTERVAL_SECONDS: '86400',
  WORKERS: 'true',
  N_ESTIMATORS: '30',
};

const INGEST = `mutation Ingest($input: IngestInput!) { ingest(input: $input) { rowsStored } }`;

/**
 * A sensor's rows: 120 states (x0, x1 on a seeded grid walk, the class x0 > 0.5, every fourth
 * state's class flipped), each held for 5 consecutive rows.
 */
function heldRows() {
  const features: number[][] = [];
  const labels: number[] = [];
  for (let s = 0; s < 120; s++) {
    const state = [((s * 7919) % 1000) / 1000, ((s * 104_729) % 997) / 997];
    const label = Number(state[0]! > 0.5) ^ Number(s % 4 === 3);
    for (let c = 0; c < 5; c++) {
      features.push(state);
      labels.push(label);
    }
  }
  return { features, labels };
}

interface Version {
  version: number;
  forwardCheck: {
    rows: number;
    trainRows: number;
    forwardErrors: number;
    outOfBagErrors: number;
    used: boolean;
    labelChanges: number | null;
    labelChangesExpected: number | null;
    worth: number | null;
  } | null;
}

describe('the forward promise, on the models page', () => {
  const suite = browserSuite(PLATFORM_ENV, 'forward-promise-dashboard.log');

  it('says the version promises its forward error, and why', async () => {
    await suite.api(INGEST, { input: heldRows() });
    const { activeModel } = await until(
      'version 1',
      () =>
        suite.api<{ activeModel: Version | null }>(
          '{ activeModel { version forwardCheck { rows trainRows forwardErrors outOfBagErrors used labelChanges labelChangesExpected worth } } }',
        ),
      (d) => d.activeModel?.version === 1,
      60_000,
    );
    const check = activeModel!.forwardCheck!;
    expect(check.used).toBe(true);
    // Its rows are states held for several rows: their labels change far less than independent rows'.
    expect(check.worth).toBeGreaterThanOrEqual(50);
    expect(check.worth).toBeLessThan(check.rows);

    const { page } = suite.browser;
    await page.goto(`${suite.dashboard.url}/p/default/models`);
    const line = page.locator('[data-testid="model-row"][data-version="1"] [data-testid="model-forward"]');
    await line.waitFor({ timeout: 10_000 });
    const rate = (errors: number) => `${((100 * errors) / check.rows).toFixed(1)} %`;
    expect((await line.textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      `promises its forward error, ${rate(check.forwardErrors)}: its rows are serially dependent, and a model of the ${check.trainRows.toLocaleString('en-US')} older rows erred on ${check.forwardErrors} of the newest ${check.rows} where out of bag erred on ${check.outOfBagErrors} (${rate(check.outOfBagErrors)}); their label changed ${check.labelChanges} times where independent rows would change ${Math.round(check.labelChangesExpected!)}, so they count as ${check.worth} independent rows`,
    );
  });
});
