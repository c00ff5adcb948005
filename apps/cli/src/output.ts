/** Text tables and machine output for the read commands. */
import { createRequire } from 'node:module';

/** cli-table3, loaded when a table is printed (not at every command's start-up). */
const cliTable = () => createRequire(import.meta.url)('cli-table3') as typeof import('cli-table3');

/** Writes `value` as pretty JSON (the `--json` output of every read command). */
export function printJson(value: unknown, out: { write(text: string): unknown } = process.stdout): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

export type Align = 'left' | 'right';

/** cli-table3 without borders: columns two spaces apart, one rule under the header. */
const PLAIN_TABLE = {
  chars: {
    top: '',
    'top-mid': '',
    'top-left': '',
    'top-right': '',
    bottom: '',
    'bottom-mid': '',
    'bottom-left': '',
    'bottom-right': '',
    left: '',
    'left-mid': '',
    mid: '-',
    'mid-mid': '  ',
    right: '',
    'right-mid': '',
    middle: '  ',
  },
  // `compact` draws the rule under the header only; no colours, so pipes and logs read the same.
  style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
};

/**
 * A plain-text table (cli-table3, which measures wide characters and emoji by their width on the
 * terminal): a header, a rule, the rows; numbers right-aligned by default; null as "-".
 */
export function formatTable(
  header: string[],
  rows: (string | number | null | undefined)[][],
  align?: Align[],
): string {
  const colAligns = header.map(
    (_, i) =>
      align?.[i] ??
      (rows.some((r) => typeof r[i] === 'number') &&
      rows.every((r) => typeof r[i] === 'number' || r[i] == null)
        ? 'right'
        : 'left'),
  );
  const Table = cliTable();
  const table = new Table({ ...PLAIN_TABLE, head: header, colAligns });
  table.push(
    ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell)))),
  );
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
}

/** 0.91234 → "0.912"; null → "-". */
export const fixed = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? null : value.toFixed(digits);

/** 0.4567 → "45.7%". */
export const percent = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined ? null : `${(value * 100).toFixed(digits)}%`;

/** ISO time → "2026-11-28 10:43:05" (UTC, as the server sends it). */
export const timestamp = (iso: string | null | undefined) =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : null;

/** p-values: 3 significant digits, scientific below 0.001. */
export const pValue = (p: number) => (p === 0 ? '0' : p < 0.001 ? p.toExponential(2) : p.toFixed(3));
