/**
 * CSV reading benchmark: how fast the CLI's reader (csv-parse records, then the numeric step that
 * `ingest` and `predict` use) gets through a 100,000-row × 10-column file, against a reference
 * measured in the same run: splitting the same text on "\n" and "," and calling Number() on each
 * value, all in memory (no quoting, no streaming, no line numbers: a floor no real reader beats).
 *
 *   node --import tsx bench/csv/run.ts [--rows N] [--reps N] [--compare-with <git ref>]
 *
 * `--compare-with` also times the hand-written parser the CLI had before csv-parse, loaded from that
 * commit (`git show <ref>:apps/cli/src/csv.ts` and `table.ts`), on the same file.
 *
 * Target: the numeric reader at ≥ 0.15× the reference's rows/s. The reference runs at 450,000–
 * 560,000 rows/s here, so that is ≥ 70,000 rows/s, about twice the rate at which the server stores
 * rows (35,000–42,000 rows/s, bench/README.md): each of the CLI's two passes over a file (the check,
 * then the send) costs at most half of what the server spends on the same rows.
 *
 * Times are CPU time of the reading process (user + system), each reader in a process of its own,
 * the readers taking turns in each round: on a shared machine CPU time moves far less than wall time.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../apps/cli/src/csv.ts';
import { readTable } from '../../apps/cli/src/numeric-table.ts';

const TARGET_RATIO = 0.15;
const argument = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROWS = Number(argument('--rows') ?? 100_000);
const REPS = Number(argument('--reps') ?? 5);
const COMPARE_WITH = argument('--compare-with');
const FEATURES = 9;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A seeded table: 9 features with 6 decimals (as `toFixed(6)` writes them) and a class 0..2. */
function makeCsv(rows: number): string {
  let s = 12345;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const header = [...Array.from({ length: FEATURES }, (_, i) => `x${i}`), 'label'].join(',');
  const lines = [header];
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: FEATURES }, () => (rand() * 200 - 100).toFixed(6));
    lines.push(`${x.join(',')},${Math.floor(rand() * 3)}`);
  }
  return `${lines.join('\n')}\n`;
}

const open = (file: string) => createReadStream(file, { highWaterMark: 256 * 1024 });

type Reader = { name: string; run: (file: string) => Promise<number> };

const readers: Reader[] = [
  {
    name: 'reference: split + Number, in memory',
    run: async (file) => {
      const lines = readFileSync(file, 'utf8').split('\n');
      let rows = 0;
      let sum = 0;
      for (let i = 1; i < lines.length; i++) {
        if (lines[i] === '') continue;
        const cells = lines[i]!.split(',');
        for (const cell of cells) sum += Number(cell);
        rows++;
      }
      if (Number.isNaN(sum)) throw new Error('unreadable');
      return rows;
    },
  },
  {
    name: 'csv-parse records (csv.ts readCsv)',
    run: async (file) => {
      let rows = 0;
      for await (const item of readCsv(open(file))) if (item.kind === 'record') rows++;
      return rows;
    },
  },
  {
    name: 'csv-parse + numeric step (readTable)',
    run: async (file) => {
      let rows = 0;
      for await (const item of readTable(open(file))) if (item.kind === 'row') rows++;
      return rows;
    },
  },
];

/** The parser and table reader of `ref`, written to a temporary folder and imported. */
async function oldReaders(ref: string, dir: string): Promise<Reader[]> {
  const folder = path.join(dir, 'old');
  mkdirSync(folder, { recursive: true });
  for (const file of ['csv.ts', 'table.ts']) {
    const text = execFileSync('git', ['show', `${ref}:apps/cli/src/${file}`], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    writeFileSync(path.join(folder, file), text);
  }
  const csv = await import(path.join(folder, 'csv.ts'));
  const table = await import(path.join(folder, 'table.ts'));
  return [
    {
      name: `hand-written parser of ${ref} (records)`,
      run: async (file) => {
        let rows = 0;
        for await (const _ of csv.readCsv(open(file))) rows++;
        return rows - 1;
      },
    },
    {
      name: `hand-written parser of ${ref} + numeric step`,
      run: async (file) => {
        let rows = 0;
        for await (const item of table.readTable(open(file))) if (item.kind === 'row') rows++;
        return rows;
      },
    },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** In a child process: times one reader (2 warm-up runs, then 3) and prints its median CPU ms. */
async function measureOne(name: string, file: string, dir: string) {
  const all = [...readers, ...(COMPARE_WITH ? await oldReaders(COMPARE_WITH, dir) : [])];
  const reader = all.find((r) => r.name === name)!;
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    (globalThis as { gc?: () => void }).gc?.();
    // CPU time of this process (the reading is single-threaded, the file in the page cache): it
    // moves much less than wall time when other work shares the cores.
    const started = process.cpuUsage();
    const rows = await reader.run(file);
    const used = process.cpuUsage(started);
    if (rows !== ROWS) throw new Error(`${reader.name} read ${rows} rows, expected ${ROWS}`);
    if (run >= 2) times.push((used.user + used.system) / 1000);
  }
  process.stdout.write(`${median(times)}\n`);
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-csv-'));
  try {
    const file = path.join(dir, 'table.csv');
    writeFileSync(file, makeCsv(ROWS));
    const names = [
      ...readers.map((r) => r.name),
      ...(COMPARE_WITH ? (await oldReaders(COMPARE_WITH, dir)).map((r) => r.name) : []),
    ];
    const times = new Map<string, number[]>(names.map((n) => [n, []]));
    // Each reader runs in a process of its own (its own JIT state and heap); the readers take
    // turns in each round, so every round compares them under the same load.
    for (let round = 0; round < REPS; round++) {
      for (const name of names) {
        const out = execFileSync(
          process.execPath,
          ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
          {
            env: { ...process.env, BENCH_CSV_READER: name, BENCH_CSV_FILE: file, BENCH_CSV_DIR: dir },
            encoding: 'utf8',
          },
        );
        times.get(name)!.push(Number(out.trim()));
      }
    }
    const rate = (name: string) => ROWS / (median(times.get(name)!) / 1000);
    const reference = rate(names[0]!);
    console.log(
      `${ROWS} rows × ${FEATURES + 1} columns (${(readFileSync(file).length / 1e6).toFixed(1)} MB); median of ${REPS} rounds`,
    );
    for (const name of names) {
      const r = rate(name);
      console.log(
        `  ${name.padEnd(52)} ${Math.round(r).toLocaleString('en').padStart(10)} rows/s  ${(r / reference).toFixed(2)}× reference`,
      );
    }
    const ratio = rate(readers[2]!.name) / reference;
    console.log(
      `numeric reader at ${ratio.toFixed(2)}× the reference (target ≥ ${TARGET_RATIO}×): ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}`,
    );
    process.exitCode = ratio >= TARGET_RATIO ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.BENCH_CSV_READER) {
  await measureOne(process.env.BENCH_CSV_READER, process.env.BENCH_CSV_FILE!, process.env.BENCH_CSV_DIR!);
} else {
  await main();
}
