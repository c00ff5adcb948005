/**
 * The fleet page and the per-pipeline pages in a real browser, against a real platform with two
 * pipelines of its own data (`alpha` and `beta`, created by their first ingest through the
 * GraphQL API) beside the empty `default` one. The steps share one platform, dashboard and page.
 */
/// <reference path="../../../packages/db/src/testing-global-setup.ts" />
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gql, startTestPlatform, type TestPlatform } from '../../server/src/testing.ts';
import {
  artifacts,
  type Browser,
  ensureBuilt,
  launchBrowser,
  type RunningDashboard,
  signIn,
  startDashboard,
  until,
} from './harness.ts';

const PLATFORM_ENV = {
  MIN_TRAIN_ROWS: '200',
  WINDOW_SIZE: '200',
  STATS_INTERVAL_MS: '300',
  WORKERS: 'true',
  N_ESTIMATORS: '30',
};

const INGEST = `mutation($pipeline: String, $input: IngestInput!) { ingest(pipeline: $pipeline, input: $input) { rowsStored } }`;
const FLEET = `{ pipelines { name attention servingVersion accuracy pendingTraining lastEventType } }`;
const CHECK_DRIFT = `mutation($pipeline: String) { checkDrift(pipeline: $pipeline) { skipped event { id drifted } } }`;
const LAST_DRIFT = `query($pipeline: String) { driftEvents(pipeline: $pipeline, limit: 1) { items { id drifted verdict } } }`;
const STATS = `query($pipeline: String) { stats(pipeline: $pipeline) { rowsIngested activeModelVersion } }`;

interface FleetStatus {
  name: string;
  attention: string;
  servingVersion: number | null;
  accuracy: number | null;
  pendingTraining: number;
  lastEventType: string | null;
}

/** Seeded rows over 3 features in [0, 1); class = x0 + x1 > 1; `shift` moves x0 and x1. */
function rows(n: number, seed: number, shift = 0) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [rand() + shift, rand() + shift, rand()]);
  const labels = features.map((f) => (f[0]! + f[1]! > 1 + 2 * shift ? 1 : 0));
  return { features, labels };
}

/** Waits until the element's trimmed text equals `text`. */
async function textIs(page: Page, selector: string, text: string, timeout: number) {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.textContent?.trim() === want,
    [selector, text] as const,
    { timeout },
  );
}

const byTestId = (id: string) => `[data-testid="${id}"]`;
const rowCell = (pipeline: string, id: string) =>
  `[data-testid="fleet-row"][data-pipeline="${pipeline}"] ${byTestId(id)}`;
/** A share as the dashboard writes it: 0.8734 → "87.3 %". */
const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)} %`);

describe('fleet page in a browser', () => {
  let platform: TestPlatform;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;
  let batch = 0;

  const api = async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql<T>(platform.graphqlUrl, query, variables, platform.adminKey);
    if (r.errors?.length)
      throw new Error(`${query.slice(0, 60)}…: ${r.errors.map((e) => e.message).join('; ')}`);
    return r.data!;
  };
  const ingest = async (pipeline: string, n: number, shift = 0) => {
    batch += 1;
    const { features, labels } = rows(n, 7000 + batch, shift);
    const data = await api<{ ingest: { rowsStored: number } }>(INGEST, {
      pipeline,
      input: { features, labels, batchId: `fleet-${batch}` },
    });
    return data.ingest.rowsStored;
  };
  const fleet = async () => (await api<{ pipelines: FleetStatus[] }>(FLEET)).pipelines;
  const pageRows = () =>
    page
      .getByTestId('fleet-row')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-pipeline'), tr.getAttribute('data-attention')]),
      );
  const shot = (name: string) =>
    page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [platform] = await Promise.all([startTestPlatform(inject('postgresUrl'), PLATFORM_ENV), ensureBuilt()]);
    dashboard = await startDashboard({ GRAPHQL_URL: platform.graphqlUrl });
    browser = await launchBrowser();
    page = browser.page;
    // Signed in while `default` is the only pipeline: `/` is its overview, as it always was.
    await signIn(page, dashboard.url, platform.adminKey!);
    await page.getByTestId('card-rows').waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe('/');
  }, 240_000);

  afterAll(async () => {
    writeFileSync(
      path.join(artifacts, 'fleet-dashboard.log'),
      `${dashboard?.log() ?? ''}\n${browser?.problems.join('\n') ?? ''}`,
    );
    await browser?.close();
    await dashboard?.stop();
    await platform?.stop().catch(() => {});
  }, 60_000);

  it('lists both pipelines with their serving versions and accuracy, in the API’s order', async () => {
    expect(await ingest('alpha', 300)).toBe(300);
    expect(await ingest('beta', 420)).toBe(420);
    // 300 and 420 labelled rows ≥ MIN_TRAIN_ROWS: each pipeline trains its first version by itself.
    const ready = await until(
      'a serving version in both pipelines and no training pending',
      fleet,
      (all) =>
        ['alpha', 'beta'].every((name) => {
          const p = all.find((s) => s.name === name);
          return p?.servingVersion != null && p.pendingTraining === 0;
        }),
      90_000,
    );
    expect(ready.map((p) => p.name).sort()).toEqual(['alpha', 'beta', 'default']);

    // More than one pipeline: `/` now opens the fleet page.
    await page.goto(dashboard.url);
    await page.waitForURL('**/fleet');
    await page.getByTestId('fleet-table').waitFor({ timeout: 10_000 });
    const now = await fleet();
    expect(await pageRows()).toEqual(now.map((p) => [p.name, p.attention]));
    for (const name of ['alpha', 'beta']) {
      const status = now.find((p) => p.name === name)!;
      expect(status.servingVersion).toBe(1);
      expect(await page.locator(rowCell(name, 'fleet-serving')).textContent()).toBe('v1');
      expect(await page.locator(rowCell(name, 'fleet-accuracy')).textContent()).toBe(
        percent(status.accuracy),
      );
      expect(await page.locator(rowCell(name, 'fleet-pending')).textContent()).toBe('none');
      // The newest event (of the first training, or a drift check since), in words, moments ago.
      // The page follows the feed live: a check that lands after the snapshot above is newer
      // there, so the page is compared with the API read at the same moment.
      expect(status.lastEventType).toMatch(/^(model|training|drift)\./);
      const words = (type: string | null | undefined) => type?.replaceAll(/[._]/g, ' ');
      await until(
        `${name}'s row showing its newest event`,
        async () => ({
          page: await page.locator(rowCell(name, 'fleet-event')).textContent(),
          api: words((await fleet()).find((p) => p.name === name)?.lastEventType),
        }),
        (seen) => seen.page === seen.api,
        10_000,
      );
      expect(await page.locator(rowCell(name, 'fleet-event-age')).textContent()).toMatch(
        /^(just now|\d+ s ago)$/,
      );
    }
    expect(await page.locator(rowCell('default', 'fleet-serving')).textContent()).toBe('none');
    expect(await page.locator(rowCell('default', 'fleet-attention')).textContent()).toBe('no model');
    await shot('fleet-1280');
  });

  it('opens a pipeline’s overview from its row, and the switcher keeps the page', async () => {
    await page.locator(rowCell('alpha', 'fleet-link')).click();
    await page.waitForURL('**/p/alpha');
    await textIs(page, byTestId('card-rows-value'), '300', 10_000);
    await textIs(page, byTestId('card-model-value'), 'v1', 5_000);
    await textIs(page, byTestId('header-serving'), 'serving v1', 5_000);
    expect(await page.getByTestId('page-pipeline').textContent()).toBe('alpha');
    const alpha = (await api<{ stats: { rowsIngested: number } }>(STATS, { pipeline: 'alpha' })).stats;
    expect(alpha.rowsIngested).toBe(300);
    expect(
      await page
        .getByTestId('pipeline-switcher')
        .evaluate((s) => [...(s as HTMLSelectElement).options].map((o) => o.value)),
    ).toEqual((await fleet()).map((p) => p.name));

    await shot('pipeline-overview-1280');
    await page.getByTestId('pipeline-switcher').selectOption('beta');
    await page.waitForURL('**/p/beta');
    await textIs(page, byTestId('card-rows-value'), '420', 10_000);
    expect(await page.getByTestId('page-pipeline').textContent()).toBe('beta');

    await page.getByRole('link', { name: 'Models' }).click();
    await page.waitForURL('**/p/beta/models');
    await textIs(page, byTestId('models-serving'), 'v1', 10_000);
    await page.getByTestId('pipeline-switcher').selectOption('default');
    await page.waitForURL('**/p/default/models');
    await page.getByTestId('models-empty').waitFor({ timeout: 10_000 });
    // The first URL of the models page is the default pipeline's.
    await page.goto(`${dashboard.url}/models`);
    await page.waitForURL('**/p/default/models');
    await page.getByTestId('models-empty').waitFor({ timeout: 10_000 });

    // An address that is not a page says so and leads back (before: a bare "404 Not Found").
    await page.goto(`${dashboard.url}/p/beta/drifts`);
    await page.getByTestId('error-page').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('error-message').textContent()).toBe('Nothing is at /p/beta/drifts.');
    await page.getByTestId('error-pipeline-link').click();
    await page.waitForURL('**/p/beta');
    await textIs(page, byTestId('card-rows-value'), '420', 10_000);
  });

  it('puts a drift in beta first on the open fleet page, live, and links the drift to beta’s check', async () => {
    await page.getByTestId('nav-fleet').click();
    await page.waitForURL('**/fleet');
    await page.getByTestId('fleet-table').waitFor({ timeout: 10_000 });
    await page.evaluate(() => Object.assign(window, { __notReloaded: true }));
    expect((await pageRows()).find(([name]) => name === 'beta')?.[1]).toBe('OK');

    await ingest('beta', 200);
    await ingest('beta', 200, 0.8);
    const check = await api<{
      checkDrift: { skipped: string | null; event: { id: string; drifted: boolean } | null };
    }>(CHECK_DRIFT, { pipeline: 'beta' });
    // A check the new rows started by themselves may have come first; either way the newest drifted.
    const last = (
      await api<{ driftEvents: { items: { id: string; drifted: boolean; verdict: string }[] } }>(LAST_DRIFT, {
        pipeline: 'beta',
      })
    ).driftEvents.items[0]!;
    expect(check.checkDrift.event?.drifted ?? last.drifted).toBe(true);
    expect(last.drifted).toBe(true);

    await page.waitForFunction(
      () => {
        const first = document.querySelector('[data-testid="fleet-row"]');
        return (
          first?.getAttribute('data-pipeline') === 'beta' && first.getAttribute('data-attention') === 'DRIFT'
        );
      },
      null,
      { timeout: 10_000 },
    );
    expect(await page.locator(rowCell('beta', 'fleet-attention')).textContent()).toBe('drift');
    expect(await page.locator(rowCell('beta', 'fleet-check')).textContent()).toMatch(/^drift, /);
    const api1 = await fleet();
    expect(api1[0]).toMatchObject({ name: 'beta', attention: 'DRIFT' });
    expect(api1.find((p) => p.name === 'alpha')?.attention).toBe('OK');
    expect((await pageRows())[0]).toEqual(['beta', 'DRIFT']);
    expect((await pageRows()).find(([name]) => name === 'alpha')?.[1]).toBe('OK');
    expect(await page.evaluate(() => (window as { __notReloaded?: boolean }).__notReloaded)).toBe(true);
    await shot('fleet-1280-drift');

    await page.locator(rowCell('beta', 'fleet-link')).click();
    await page.waitForURL('**/p/beta');
    const link = page.locator(`[data-testid="event-list"] a[href="/p/beta/drift/${last.id}"]`);
    await link.first().waitFor({ timeout: 10_000 });
    await link.first().click();
    await page.waitForURL(`**/p/beta/drift/${last.id}`);
    // The worker's check may have found the drift first: then the API's check says still drifting.
    await textIs(page, byTestId('drift-verdict'), last.verdict.toLowerCase().replaceAll('_', ' '), 10_000);
    expect(await page.getByTestId('drift-title').textContent()).toContain(`Drift check #${last.id}`);
    expect(browser.problems.join('\n')).not.toContain('[pageerror]');
  });
});
