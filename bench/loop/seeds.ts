/**
 * Per-seed accuracy and training runs of each strategy from bench/loop/out/results.json, for
 * finding the seeds where a figure is lost: node --import tsx bench/loop/seeds.ts [A7,A8]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Entry {
  id: string;
  perSeed?: ({ seed: number } & Record<string, { accuracy: number; runs: number } | number>)[];
}
const only = process.argv[2]?.split(',');
const path = fileURLToPath(new URL(`./out/${process.argv[3] ?? 'results.json'}`, import.meta.url));
const results = JSON.parse(readFileSync(path, 'utf8')) as { scenarios: Entry[] };
for (const s of results.scenarios) {
  if (!s.perSeed?.length || (only && !only.includes(s.id))) continue;
  const names = Object.keys(s.perSeed[0]!).filter((k) => k !== 'seed' && k !== 'never');
  console.log(`${s.id.padEnd(6)}${names.map((n) => n.padStart(16)).join('')}`);
  for (const row of s.perSeed) {
    const cells = names.map((n) => {
      const v = row[n] as { accuracy: number; runs: number };
      return `${v.accuracy.toFixed(4)} ${String(v.runs).padStart(3)}`.padStart(16);
    });
    console.log(`${String(row.seed).padEnd(6)}${cells.join('')}`);
  }
}
