/**
 * Feature reads: the platform's checks and retrains read stored feature rows (the newest window,
 * the training window, the rows before a change). They read them in Postgres' binary array form
 * (`array_send(features)`, decoded by `float8ArrayFromBinary`); before, as `float8[]` text that
 * postgres.js parsed number by number. Both reads run here on the same rows, alternating, in the
 * same process: one query (the newest labelled rows, as the training window reads them) asking
 * for the features as text, and the same asking for them in binary and decoding them.
 *
 *   pnpm bench:reads                        # 20,000 rows of 8 and of 64 features, 7 rounds
 *   pnpm bench:reads -- --rows 5000 --rounds 11
 *
 * Printed per width: the median milliseconds of each read and the ratio text / binary, and the
 * main thread's CPU milliseconds of each (what a replay's ingest and checks compete for). PASS:
 * at 64 features (digits) binary reads at least 1.5× as fast; at 8 no slower (≥ 0.9×, the
 * rounds' noise: there a row's fixed costs weigh as much as its numbers). Postgres: a fresh database on DATABASE_URL's server when set, else an embedded one.
 */
import { cpus, loadavg } from 'node:os';
import { numberArg } from '../support/args.ts';
import { benchPostgres } from '../support/postgres.ts';
import { median } from '../support/stats.ts';

const { copyBatchWithRows } = await import('../../packages/core/src/storage/data-storage.ts');
const { float8ArrayFromBinary } = await import('../../packages/core/src/storage/copy-binary.ts');
const { mulberry32 } = await import('../../packages/drift/src/random.ts');

const ROWS = numberArg('rows', 20_000);
const ROUNDS = numberArg('rounds', 7);

/** Wall and main-thread CPU milliseconds of `fn`. */
async function timed(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu0);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

const pg = await benchPostgres();
let failures = 0;
try {
  for (const [pipeline, width, target] of [
    [1, 8, 0.9],
    [2, 64, 1.5],
  ] as const) {
    const db = await pg.freshDatabase();
    try {
      if (pipeline === 2)
        await db.sql`insert into pipelines (id, name) values (2, 'wide') on conflict do nothing`;
      const next = mulberry32(width);
      for (let at = 0; at < ROWS; at += 1000) {
        const n = Math.min(1000, ROWS - at);
        const rows = Array.from({ length: n }, () => ({
          features: Array.from({ length: width }, () => (next() - 0.5) * 10 ** Math.floor(next() * 6)),
          label: next() < 0.5 ? 0 : 1,
          scoredLabel: null,
          scoredVersion: null,
        }));
        await copyBatchWithRows(
          db.sql,
          pipeline,
          { batchId: `b${at}`, rowCount: n, labelledCount: n, source: 'bench' },
          rows,
        );
      }
      const text = async () =>
        (
          await db.sql<{ features: number[] }[]>`
            select features, label from rows where pipeline_id = ${pipeline} and label is not null
              order by id desc limit ${ROWS}`
        ).map((r) => r.features);
      const binary = async () =>
        (
          await db.sql<{ features: Uint8Array }[]>`
            select array_send(features) as features, label from rows
              where pipeline_id = ${pipeline} and label is not null order by id desc limit ${ROWS}`
        ).map((r) => float8ArrayFromBinary(r.features));
      // The same numbers both ways (and a warm-up of each).
      const a = await text();
      const b = await binary();
      if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`width ${width}: the two reads differ`);
      const t: { wall: number; cpu: number }[] = [];
      const bin: { wall: number; cpu: number }[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        t.push(await timed(text));
        bin.push(await timed(binary));
      }
      const ratio = median(t.map((x) => x.wall)) / median(bin.map((x) => x.wall));
      const pass = ratio >= target;
      if (!pass) failures++;
      console.log(
        `${ROWS} rows × ${width} features: text ${median(t.map((x) => x.wall)).toFixed(0)} ms (main thread ${median(t.map((x) => x.cpu)).toFixed(0)} ms CPU), binary ${median(bin.map((x) => x.wall)).toFixed(0)} ms (${median(bin.map((x) => x.cpu)).toFixed(0)} ms CPU); text / binary ${ratio.toFixed(2)}×  ${pass ? 'PASS' : 'FAIL'} (≥ ${target}×)`,
      );
    } finally {
      await db.drop();
    }
  }
} finally {
  await pg.stop();
}
console.log(
  `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; ${failures ? `FAIL: ${failures}` : 'all PASS'}`,
);
process.exitCode = failures ? 1 : 0;
