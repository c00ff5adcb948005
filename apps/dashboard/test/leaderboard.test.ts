/**
 * The search of every training run in a real browser (AUTOML_BUDGET_SECONDS 8 on this platform:
 * the search ends well before it on a quiet machine, and on a loaded one the halving still gets
 * past its first rung, so some candidates are cut):
 * the training bar counts the candidates and shows the best so far while the search runs, and
 * the models page says which window won and why, with the version's leaderboard (the winner
 * highlighted, candidates cut by successive halving dimmed) — the same values the API holds.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { artifacts, browserSuite, until } from './harness.ts';

const PLATFORM_ENV = {
  AUTOML_BUDGET_SECONDS: '8',
  MIN_TRAIN_ROWS: '300',
  GROWTH_RETRAIN_ROWS: '0',
  WINDOW_SIZE: '200',
  STATS_INTERVAL_MS: '300',
  WORKERS: 'true',
  N_ESTIMATORS: '60',
};

const INGEST = `mutation Ingest($input: IngestInput!) { ingest(input: $input) { rowsStored } }`;
const SEARCH = `{ activeModel { version search { reason window candidates {
  rank window windowRows maxDepth minSamplesLeaf maxFeatures classWeight nTrees score fitMs rung cutByHalving winner } } } }`;

interface Candidate {
  rank: number;
  window: string;
  windowRows: number;
  maxDepth: number | null;
  minSamplesLeaf: number;
  maxFeatures: string;
  classWeight: string | null;
  nTrees: number;
  score: number | null;
  fitMs: number;
  rung: number;
  cutByHalving: boolean;
  winner: boolean;
}

/** Seeded rows over 3 features in [0, 1); class = x0 + x1 > 1. */
function rows(n: number, seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [rand(), rand(), rand()]);
  return { features, labels: features.map((f) => (f[0]! + f[1]! > 1 ? 1 : 0)) };
}

/** Records every text of the training bar in `window.__trainingBar` (states of one render too). */
async function recordTrainingBar(page: Page) {
  await page.evaluate(() => {
    const log: string[] = [];
    const record = () => {
      const text = document
        .querySelector('[data-testid="training-progress"]')
        ?.textContent?.replace(/\s+/g, ' ')
        .trim();
      if (text && text !== log.at(-1)) log.push(text);
    };
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
    });
    Object.assign(window, { __trainingBar: log });
  });
}

/** A candidate's cells as the leaderboard writes them (en-US grouping, 4 decimals). */
const cells = (c: Candidate) => [
  String(c.rank) + (c.winner ? 'winner' : ''),
  c.window,
  c.windowRows.toLocaleString('en-US'),
  c.maxDepth === null ? 'unlimited' : String(c.maxDepth),
  String(c.minSamplesLeaf),
  c.maxFeatures,
  c.classWeight ?? 'none',
  String(c.nTrees),
  c.score === null ? '–' : c.score.toFixed(4),
  c.fitMs.toLocaleString('en-US'),
  String(c.rung),
  c.cutByHalving ? 'cut' : '',
];

describe('the search in a browser', () => {
  const suite = browserSuite(PLATFORM_ENV, 'leaderboard-dashboard.log');
  const { api } = suite;
  let page: Page;
  beforeAll(() => {
    page = suite.browser.page;
  });

  it('shows the search live in the training bar, then the leaderboard and the reason on the models page', async () => {
    await page.locator('[data-testid="link-status"][data-status="live"]').waitFor({ timeout: 15_000 });
    await recordTrainingBar(page);
    await api(INGEST, { input: rows(3000, 11) });
    const { activeModel } = await until(
      'the first version, chosen by a search',
      () =>
        api<{
          activeModel: {
            version: number;
            search: { reason: string; window: string; candidates: Candidate[] } | null;
          } | null;
        }>(SEARCH),
      (data) => data.activeModel?.search != null,
      90_000,
    );
    const search = activeModel!.search!;

    // While it ran, the bar counted the search's candidates and named the best so far.
    await page
      .locator('[data-testid="training-progress"][data-phase="finished"]')
      .waitFor({ timeout: 15_000 });
    const bar = await page.evaluate(() => (window as unknown as { __trainingBar: string[] }).__trainingBar);
    const searching = bar.filter((t) => /searching: \d+ of \d+ candidates/.test(t));
    expect(searching.length, bar.join('\n')).toBeGreaterThan(0);
    expect(
      bar.some((t) => /best so far 0\.\d{3} \(window (all|since-change|newest-\d+)\)/.test(t)),
      bar.join('\n'),
    ).toBe(true);

    await page.goto(`${suite.dashboard.url}/p/default/models`);
    const row = page.locator('[data-testid="model-row"][data-version="1"]');
    await row.waitFor({ timeout: 10_000 });
    expect((await row.getByTestId('model-search-reason').textContent())?.trim()).toBe(search.reason);
    expect((await row.getByTestId('model-search-window').textContent())?.replace(/\s+/g, ' ').trim()).toBe(
      `window ${search.window}`,
    );

    // The leaderboard opens on a click: one row per candidate, best first, as the API has them.
    const board = page.locator('[data-testid="model-leaderboard"][data-version="1"]');
    const candidates = board.getByTestId('candidate-row');
    expect(await candidates.first().isVisible()).toBe(false);
    await board.locator('summary').click();
    await candidates.first().waitFor({ state: 'visible', timeout: 5_000 });
    const shown = await candidates.evaluateAll((trs) =>
      trs.map((tr) => ({
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent?.replace(/\s+/g, '').trim() ?? ''),
        winner: tr.classList.contains('winner'),
        cut: tr.classList.contains('cut'),
        opacity: Number(getComputedStyle(tr).opacity),
      })),
    );
    expect(shown.map((r) => r.cells)).toEqual(
      search.candidates.map((c) => cells(c).map((x) => x.replace(/\s+/g, ''))),
    );
    expect(shown.map((r) => r.winner)).toEqual(search.candidates.map((c) => c.winner));
    expect(shown[0]!.winner).toBe(true);
    const cut = search.candidates.filter((c) => c.cutByHalving).length;
    expect(cut).toBeGreaterThan(0);
    expect(shown.filter((r) => r.cut)).toHaveLength(cut);
    for (const r of shown) expect(r.opacity).toBe(r.cut ? 0.55 : 1);
    await page.screenshot({ path: path.join(artifacts, 'models-leaderboard-1280.png'), fullPage: true });
  });
});
