/**
 * The built dashboard in a real browser (a Chromium driven by playwright-core) against a
 * real platform (server + in-process workers on a fresh database), signed in with an admin key
 * (sign-in itself, sessions and the proxy's checks are test/access.test.ts). Screenshots go to
 * apps/dashboard/test-results/ as artifacts.
 *
 * The tests run in order and share one platform, one dashboard process and one page: each step
 * builds on the data the previous one created (rows → first model → drift → second model).
 */
/// <reference path="../../../packages/db/src/testing-global-setup.ts" />
// (the reference brings the type of `inject('postgresUrl')`, declared by the integration setup)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../packages/db/src/testing.ts';
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

// 150 trees: a retrain lasts a few seconds, long enough to see the progress bar move.
const PLATFORM_ENV = {
  MIN_TRAIN_ROWS: '200',
  WINDOW_SIZE: '200',
  STATS_INTERVAL_MS: '300',
  WORKERS: 'true',
  N_ESTIMATORS: '150',
  // The drift this page shows is in the features (x0, x1 moved) of labelled rows: the chunk test
  // decides it, against this platform's reference of a few hundred rows.
  DRIFT_MIN_REFERENCE_ROWS: '100',
};

const INGEST = `mutation Ingest($input: IngestInput!) { ingest(input: $input) { rowsStored } }`;
const STATS = `{ stats { rowsIngested predictionsTotal activeModelVersion modelVersions } }`;
const OPEN_JOBS = `{ queued: trainingJobs(status: QUEUED, limit: 1) { total } running: trainingJobs(status: RUNNING, limit: 1) { total } }`;
const CHECK_DRIFT = `mutation { checkDrift { skipped event { id drifted verdict action trainingJob { id } features { feature drifted } } } }`;
const NEWEST_JOB = `{ trainingJobs(limit: 1) { items { id } } }`;
const NEWEST_EVENTS = `query($driftedOnly: Boolean) { driftEvents(driftedOnly: $driftedOnly, limit: 20) { items { id drifted verdict action trainingJob { id } features { feature drifted } } } }`;
const TRAINING_JOB = `query($id: ID!) { trainingJob(id: $id) { status treesDone treesTotal outcome } }`;

/**
 * Seeded rows over 3 features in [0, 1); class = x0 + x1 > 1. `shift` moves x0 and x1 (two of
 * three features, so the share of drifted features passes the default DRIFT_SHARE of 0.5) and the
 * class boundary with them.
 */
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
async function textIs(page: Page, testid: string, text: string, timeout: number) {
  await page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() === want,
    [testid, text] as const,
    { timeout },
  );
}

/** Waits until the element's text contains `part`. */
async function textContains(page: Page, testid: string, part: string, timeout: number) {
  await page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.includes(want) === true,
    [testid, part] as const,
    { timeout },
  );
}

/** Waits until the WebSocket link is in `status` (see LinkStatus). */
async function linkIs(page: Page, status: string, timeout: number) {
  await page.locator(`[data-testid="link-status"][data-status="${status}"]`).waitFor({ timeout });
}

/**
 * Records every state of the training bar (phase and text) in `window.__trainingBar`, from a
 * MutationObserver: states that last a single render are kept too.
 */
async function recordTrainingBar(page: Page) {
  await page.evaluate(() => {
    const log: { phase: string | null; text: string }[] = [];
    let last = '';
    const record = () => {
      const bar = document.querySelector('[data-testid="training-progress"]');
      const entry = {
        phase: bar?.getAttribute('data-phase') ?? null,
        text: bar?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
      };
      const key = `${entry.phase}|${entry.text}`;
      if (key === last) return;
      last = key;
      log.push(entry);
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
    record();
    Object.assign(window, { __trainingBar: log });
  });
}

/** A count as the cards write it (en-US grouping): 1000 → "1,000". */
const grouped = (n: number) => n.toLocaleString('en-US');

const text = async (page: Page, testid: string) =>
  (await page.getByTestId(testid).first().textContent())?.trim();

describe('dashboard in a browser', () => {
  let database: TestDatabase;
  let platform: TestPlatform;
  let dashboard: RunningDashboard;
  let dashboardUrl: string;
  let browser: Browser;
  let page: Page;
  let ingested = 0;
  let batch = 0;

  const api = async <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql<T>(platform.graphqlUrl, query, variables, platform.adminKey);
    if (r.errors?.length)
      throw new Error(`${query.slice(0, 60)}…: ${r.errors.map((e) => e.message).join('; ')}`);
    return r.data!;
  };
  const ingest = async (n: number, shift = 0, labelled = true) => {
    batch += 1;
    const { features, labels } = rows(n, 1000 + batch, shift);
    const data = await api<{ ingest: { rowsStored: number } }>(INGEST, {
      input: { features, ...(labelled ? { labels } : {}), batchId: `browser-${batch}` },
    });
    ingested += data.ingest.rowsStored;
    return data.ingest.rowsStored;
  };
  const stats = async () =>
    (
      await api<{
        stats: {
          rowsIngested: number;
          predictionsTotal: number;
          activeModelVersion: number | null;
          modelVersions: number;
        };
      }>(STATS)
    ).stats;
  /** The serving version as the registry has it now (`stats` is read at most once a second). */
  const servingVersion = async () =>
    (await api<{ activeModel: { version: number } | null }>('{ activeModel { version } }')).activeModel
      ?.version ?? null;
  const shot = (name: string) =>
    page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  /** The page has not been reloaded since `markPage` (a reload would drop the marker). */
  const markPage = () => page.evaluate(() => Object.assign(window, { __notReloaded: true }));
  const notReloaded = () =>
    page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded === true);

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const postgresUrl = inject('postgresUrl');
    // Our own database, so the platform can be stopped and started again on it (restart test).
    [database] = await Promise.all([createTestDatabase(postgresUrl, { migrate: false }), ensureBuilt()]);
    platform = await startTestPlatform(postgresUrl, PLATFORM_ENV, { database });

    dashboard = await startDashboard({ GRAPHQL_URL: platform.graphqlUrl });
    dashboardUrl = dashboard.url;
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, dashboardUrl, platform.adminKey!);
  }, 240_000);

  afterAll(async () => {
    // The dashboard's output and the page's errors and warnings, next to the screenshots.
    writeFileSync(
      path.join(artifacts, 'dashboard.log'),
      `${dashboard?.log() ?? ''}\n${browser?.problems.join('\n') ?? ''}`,
    );
    await browser?.close();
    await dashboard?.stop();
    await platform?.stop().catch(() => {});
    await database?.drop().catch(() => {});
  }, 60_000);

  it('renders the real numbers on the overview', async () => {
    await ingest(300);
    await page.goto(dashboardUrl);
    await linkIs(page, 'live', 15_000);
    await textIs(page, 'card-rows-value', '300', 10_000);
    const s = await stats();
    expect(s.rowsIngested).toBe(300);
    expect(await text(page, 'card-predictions-value')).toBe(String(s.predictionsTotal));
    expect(await text(page, 'card-rows')).toContain('300 labelled');
    // Charts exist from the start; without data they say so instead of drawing empty axes.
    // (The drift series is read after the cards: until it arrives the chart says "loading…".)
    await textContains(page, 'chart-drift', 'no data yet', 10_000);
    expect(await page.getByTestId('chart-drift').getAttribute('data-empty')).toBe('true');
    // Nothing wider than the window at 1280×800.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await shot('overview-1280-first-rows');
  });

  it('moves the cards within 2 seconds of an ingest, without a reload', async () => {
    await markPage();
    await ingest(150);
    const started = Date.now();
    await textIs(page, 'card-rows-value', '450', 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    await textContains(page, 'card-rows', '450 labelled', 2_000);
    expect(await notReloaded()).toBe(true);
  });

  it('shows the first model, then a drift raised through the API in the event list, and opens its page', async () => {
    // 450 labelled rows ≥ MIN_TRAIN_ROWS: the first version trains by itself.
    await until('the first model', stats, (s) => s.activeModelVersion !== null, 60_000);
    await textIs(page, 'card-model-value', 'v1', 5_000);
    await textIs(page, 'header-serving', 'serving v1', 5_000);
    // Each chart is created once: the same canvas must still be there after its data changed.
    await page.evaluate(() => {
      const charts = [...document.querySelectorAll('[data-testid^="chart-"]')];
      Object.assign(window, { __canvases: charts.map((c) => c.querySelector('canvas')) });
    });
    // Every state the training bar takes from now on, recorded as the page renders it: a
    // retrain may run from start to end between two looks at the page, so looking for the
    // running bar afterwards would race the worker.
    await recordTrainingBar(page);
    // Scored rows for the accuracy chart, then rows whose x0 and x1 moved.
    await ingest(200);
    await ingest(200, 0.8);
    type Event = {
      id: string;
      drifted: boolean;
      verdict: string;
      action: string;
      trainingJob: { id: string } | null;
      features: { feature: string; drifted: boolean }[];
    };
    const check = async () =>
      (await api<{ checkDrift: { skipped: string | null; event: Event | null } }>(CHECK_DRIFT)).checkDrift;
    const newestEvents = async (driftedOnly: boolean) =>
      (await api<{ driftEvents: { items: Event[] } }>(NEWEST_EVENTS, { driftedOnly })).driftEvents.items;
    const flagsFeatures = (e: Event | null | undefined) => e?.features.some((f) => f.drifted) === true;
    // Labels decide while they come in: the check that first tests a chunk of shifted rows flags
    // x0 and x1 but may say only WARNING (the labels not yet past the promise), and the drift
    // comes a check later, on the labels, with no untested chunk left (its features then say
    // nothing moved). The worker's own checks (every WINDOW_SIZE rows, and early ones when the
    // serving version errs) may be either of the two. So: the drift is the newest check that
    // drifted, preferably one that also flagged the features; the features are flagged by it or
    // by a check since the shift. Each round of more shifted rows is another chance for both.
    const first = await check();
    expect(first.skipped).toBeNull();
    const look = async (own: Event | null) => {
      const drifts = await newestEvents(true);
      const drift =
        flagsFeatures(own) && own?.drifted ? own : (drifts.find(flagsFeatures) ?? drifts[0] ?? null);
      const flagged = flagsFeatures(drift)
        ? drift
        : ((await newestEvents(false)).find(flagsFeatures) ?? null);
      return { drift, flagged };
    };
    let checks = await look(first.event);
    for (let more = 0; !(checks.drift && checks.flagged) && more < 5; more += 1) {
      await ingest(200, 0.8);
      checks = await look((await check()).event);
    }
    expect(checks.drift?.drifted, JSON.stringify(checks)).toBe(true);
    const event = checks.drift!;
    // What moved is x0 and x1, and only they.
    const moved = checks.flagged?.features.filter((f) => f.drifted).map((f) => f.feature);
    expect(moved?.length, JSON.stringify(checks)).toBeGreaterThan(0);
    expect(
      moved!.every((f) => f === 'f0' || f === 'f1'),
      JSON.stringify(checks),
    ).toBe(true);
    // The check on the API queues the retrain, or finds one the worker's own check (every
    // WINDOW_SIZE rows) queued for the same rows a moment before: still open (pending), or
    // already ended, within RETRAIN_MIN_INTERVAL_SECONDS of being queued (cooldown), or already
    // promoted while this check measured v1 (none: the new version's tests start afresh).
    expect(['RETRAIN_QUEUED', 'RETRAIN_PENDING', 'COOLDOWN', 'NONE']).toContain(event.action);
    if (event.action === 'NONE') expect((await stats()).activeModelVersion).toBeGreaterThan(1);
    const newest = await api<{ trainingJobs: { items: { id: string }[] } }>(NEWEST_JOB);
    const jobId = event.trainingJob?.id ?? newest.trainingJobs.items[0]!.id;

    // The bar under the header counted the retrain's trees as they were built, then said how it
    // ended, as the API says.
    const job = await until(
      'the drift’s retrain to end',
      async () =>
        (
          await api<{ trainingJob: { status: string; treesDone: number; treesTotal: number } }>(
            TRAINING_JOB,
            {
              id: jobId,
            },
          )
        ).trainingJob,
      (j) => j.status === 'SUCCEEDED' || j.status === 'FAILED',
      90_000,
    );
    const ended = job.status === 'SUCCEEDED' ? 'finished' : 'failed';
    const seen = await page.waitForFunction(
      ([id, phase]) => {
        const log = (window as unknown as { __trainingBar: { phase: string | null; text: string }[] })
          .__trainingBar;
        return log.some((e) => e.phase === phase && e.text.startsWith(`Training #${id} ${phase}`))
          ? log
          : null;
      },
      [jobId, ended] as const,
      { timeout: 10_000 },
    );
    const states = (await seen.jsonValue()) as { phase: string | null; text: string }[];
    if (job.treesDone > 0) {
      // It counted the trees as they were built: some count between none and all, never backwards.
      expect(job.treesTotal).toBe(150);
      const counts = states
        .filter((e) => e.phase === 'running' && e.text.startsWith(`Training #${jobId} `))
        .map((e) => /^Training #\d+ (\d+) of 150 trees/.exec(e.text))
        .filter((m) => m !== null)
        .map((m) => Number(m[1]));
      expect(
        counts.some((n) => n > 0 && n < 150),
        JSON.stringify(states),
      ).toBe(true);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
    }
    await shot('training-ended-1280');

    const link = page.locator(`[data-testid="event-list"] a[href="/p/default/drift/${event.id}"]`);
    await link.first().waitFor({ timeout: 5_000 });
    // A check that met the drift the worker's own check queued the retrain for says so, with no
    // drift.detected twin.
    expect(await link.first().textContent()).toContain(
      event.verdict === 'STILL_DRIFTING' ? 'Drift check: still drifting' : 'Drift detected',
    );
    // The drift chart has its first points now.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="chart-drift"]')?.getAttribute('data-empty') === 'false',
      null,
      {
        timeout: 5_000,
      },
    );
    expect(await page.getByTestId('chart-accuracy').getAttribute('data-empty')).toBe('false');
    expect(
      await page.evaluate(() => {
        const before = (window as unknown as { __canvases: (Element | null)[] }).__canvases;
        const now = [...document.querySelectorAll('[data-testid^="chart-"]')].map((c) =>
          c.querySelector('canvas'),
        );
        return (
          before.length === 4 &&
          now.length === 4 &&
          now.every((canvas, k) => canvas !== null && canvas === before[k])
        );
      }),
    ).toBe(true);
    expect(await notReloaded()).toBe(true);
    await shot('overview-1280-after-drift');

    await link.first().click();
    await page.waitForURL(`**/drift/${event.id}`);
    await page.getByTestId('feature-table').waitFor();
    expect(await text(page, 'drift-title')).toContain(`Drift check #${event.id}`);
    expect(await text(page, 'drift-verdict')).toBe(
      event.verdict === 'STILL_DRIFTING' ? 'still drifting' : 'drift',
    );
    const features = await page
      .getByTestId('feature-row')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-feature')));
    expect(features).toEqual(event.features.map((f) => f.feature));
    // The histogram of the top feature is drawn; picking another feature redraws it.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="chart-histogram"]')?.getAttribute('data-empty') === 'false',
      null,
      {
        timeout: 5_000,
      },
    );
    expect(await text(page, 'histogram-title')).toBe(`Histogram of ${event.features[0]!.feature}`);
    const other = event.features[1]!.feature;
    await page.locator(`[data-testid="feature-row"][data-feature="${other}"] button`).click();
    await textIs(page, 'histogram-title', `Histogram of ${other}`, 5_000);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="chart-histogram"]')?.getAttribute('data-empty') === 'false',
      null,
      {
        timeout: 5_000,
      },
    );
    await shot('drift-event-1280');
  });

  it('lists the drift checks newest first, each with why, opening its page; only drift on demand', async () => {
    type Listed = { driftEvents: { total: number; items: { id: string; verdict: string }[] } };
    const LIST =
      'query L($d: Boolean) { driftEvents(limit: 50, driftedOnly: $d) { total items { id verdict } } }';
    await page.getByTestId('nav-checks').click();
    await page.waitForURL('**/p/default/drift');
    expect(await page.getByTestId('nav-checks').getAttribute('aria-current')).toBe('page');
    await page.getByTestId('check-row').first().waitFor({ timeout: 10_000 });
    const shown = () =>
      page
        .getByTestId('check-row')
        .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-id'), tr.getAttribute('data-verdict')]));
    // The worker may check meanwhile: the page follows the feed, so the two agree within seconds.
    const agree = async (drifted: boolean) =>
      until(
        'the page to list the checks the API lists',
        async () => {
          const api_ = (await api<Listed>(LIST, { d: drifted })).driftEvents;
          return { page: await shown(), api: api_.items.map((c) => [c.id, c.verdict]), total: api_.total };
        },
        (r) => JSON.stringify(r.page) === JSON.stringify(r.api),
        10_000,
      );
    const all = await agree(false);
    expect(all.page.length).toBeGreaterThan(1);
    expect(all.page.map(([id]) => Number(id))).toEqual(
      all.page.map(([id]) => Number(id)).sort((a, b) => b - a),
    );
    expect(await text(page, 'checks-count')).toContain(`of ${all.total} checks, newest first`);
    const whys = await page.getByTestId('check-why').allTextContents();
    expect(
      whys.every((why) => why.trim().length > 10),
      JSON.stringify(whys),
    ).toBe(true);
    await shot('drift-checks-1280');

    // Only the checks that found drift; one of them opens its page.
    await page.getByTestId('checks-drifted-only').check();
    const drifted = await agree(true);
    expect(drifted.page.length).toBeGreaterThan(0);
    expect(drifted.page.every(([, verdict]) => verdict === 'DRIFT' || verdict === 'STILL_DRIFTING')).toBe(
      true,
    );
    const [id] = drifted.page[0]!;
    await page.locator(`[data-testid="check-row"][data-id="${id}"] a`).click();
    await page.waitForURL(`**/p/default/drift/${id}`);
    expect(await text(page, 'drift-title')).toContain(`Drift check #${id}`);
    expect(await page.getByTestId('nav-checks').getAttribute('aria-current')).toBe('page');
  });

  it('promotes and rolls back from the models page, and the API agrees', async () => {
    // The drift queued a retrain; a second version is what promote and rollback need. Wait until
    // no training is queued or running, so nothing promotes behind the test's back.
    let retrainAsked = false;
    await until(
      'a second model version and no open training job',
      async () => {
        const open = await api<{ queued: { total: number }; running: { total: number } }>(OPEN_JOBS);
        const s = await stats();
        const state = { versions: s.modelVersions, open: open.queued.total + open.running.total };
        // The drift's retrain may end without a version (not enough rows of the new concept).
        if (state.open === 0 && state.versions < 2 && !retrainAsked) {
          retrainAsked = true;
          await api(`mutation { retrain(reason: "browser test") { job { id } } }`);
          state.open = 1;
        }
        return state;
      },
      (state) => state.versions >= 2 && state.open === 0,
      60_000,
    );
    // The run ended while the page was open: the bar says how, without a reload.
    await page
      .locator('[data-testid="training-progress"][data-phase="finished"]')
      .waitFor({ timeout: 10_000 });
    expect(await text(page, 'training-progress')).toMatch(
      /Training #\d+ finished: v\d+\s+(promoted|rejected)/,
    );
    expect(await notReloaded()).toBe(true);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.waitForURL('**/models');
    await page.getByTestId('models-table').waitFor();
    const before = (await servingVersion())!;
    await textIs(page, 'models-serving', `v${before}`, 5_000);
    const versions = await page
      .getByTestId('model-row')
      .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-version'))));
    const other = versions.find((v) => v !== before)!;
    expect(other).toBeGreaterThan(0);

    await page.getByTestId(`promote-${other}`).click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('confirm-answer').waitFor({ timeout: 10_000 });
    expect(await text(page, 'confirm-answer')).toBe(`v${other} is now serving (status production).`);
    expect(await servingVersion()).toBe(other);
    await shot('models-1280-promoted');
    await page.getByTestId('confirm-close').click();
    await textIs(page, 'models-serving', `v${other}`, 5_000);

    await page.getByTestId('rollback').click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('confirm-answer').waitFor({ timeout: 10_000 });
    expect(await text(page, 'confirm-answer')).toBe(
      `Rolled back: v${before} is now serving (status production).`,
    );
    expect(await servingVersion()).toBe(before);
    await page.getByTestId('confirm-close').click();
    await textIs(page, 'models-serving', `v${before}`, 5_000);
    await textIs(page, 'header-serving', `serving v${before}`, 5_000);
  });

  it('shows the server’s error in the confirmation dialog', async () => {
    const direct = await gql(
      platform.graphqlUrl,
      `mutation { promoteModel(version: 9999) { version } }`,
      {},
      platform.adminKey,
    );
    expect(direct.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // Through the page: the person asks to promote a version that someone else promotes first.
    const serving = await servingVersion();
    const target = (
      await page
        .getByTestId('model-row')
        .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-version'))))
    ).find((v) => v !== serving)!;
    await page.getByTestId(`promote-${target}`).click();
    await api(`mutation($v: Int!) { promoteModel(version: $v) { version } }`, { v: target });
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('confirm-error').waitFor({ timeout: 10_000 });
    expect(await text(page, 'confirm-error')).toBe(`CONFLICT: model version ${target} is already serving`);
    await page.getByTestId('confirm-close').click();
  });

  it('works at a narrow width (390 px)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${dashboardUrl}/models`);
    await page.getByTestId('models-table').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('models-390');
    await page.goto(dashboardUrl);
    await textIs(page, 'card-rows-value', grouped(ingested), 10_000);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="chart-accuracy"]')?.getAttribute('data-empty') === 'false',
      null,
      {
        timeout: 5_000,
      },
    );
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('overview-390');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('says "reconnecting" while the server is away and catches up after it restarts, without a reload', async () => {
    let serving = (await servingVersion())!;
    if (serving === 1) {
      await api(`mutation { promoteModel(version: 2) { version } }`);
      serving = 2;
    }
    await page.goto(dashboardUrl);
    await linkIs(page, 'live', 10_000);
    await textIs(page, 'card-rows-value', grouped(ingested), 5_000);
    await markPage();
    const port = platform.server.port;
    await platform.stop();
    await page.getByTestId('connection-banner').waitFor({ timeout: 10_000 });
    await linkIs(page, 'reconnecting', 10_000);
    expect(await text(page, 'connection-banner')).toContain('reconnecting…');
    await shot('overview-1280-reconnecting');

    // Same database, same port: what a restart of the platform looks like to the browser.
    platform = await startTestPlatform(inject('postgresUrl'), PLATFORM_ENV, { database, port });
    // Rows that arrive right after the restart, before the socket is back: only a re-read shows them.
    await ingest(100, 0, true);
    await linkIs(page, 'live', 30_000);
    expect(await page.getByTestId('connection-banner').count()).toBe(0);
    expect(
      Number(await page.getByTestId('link-status').getAttribute('data-reconnects')),
    ).toBeGreaterThanOrEqual(1);
    await textIs(page, 'card-rows-value', grouped(ingested), 5_000);
    // And the live feed works again on the new connection.
    await ingest(50);
    await textIs(page, 'card-rows-value', grouped(ingested), 5_000);
    expect(await notReloaded()).toBe(true);
    // v1 scored every labelled row before the restart, another version the rows after it: the
    // accuracy chart marks the change.
    await textContains(page, 'accuracy-markers', `v1 → v${serving} after`, 15_000);
    await shot('overview-1280-reconnected');
    expect(browser.problems.join('\n')).not.toContain('[pageerror]');
  });
});
