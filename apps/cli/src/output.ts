/** Text tables and machine output for the read commands. */

/** Writes `value` as pretty JSON (the `--json` output of every read command). */
export function printJson(value: unknown, out: { write(text: string): unknown } = process.stdout): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

export type Align = 'left' | 'right';

/** A plain-text table: a header, a rule, the rows; numbers right-aligned by default. */
export function formatTable(
  header: string[],
  rows: (string | number | null | undefined)[][],
  align?: Align[],
): string {
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const alignments = header.map(
    (_, i) =>
      align?.[i] ??
      (rows.some((r) => typeof r[i] === 'number') &&
      rows.every((r) => typeof r[i] === 'number' || r[i] == null)
        ? 'right'
        : 'left'),
  );
  const pad = (text: string, i: number) =>
    alignments[i] === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
  const lines = [
    header.map(pad).join('  ').trimEnd(),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((row) => row.map(pad).join('  ').trimEnd()),
  ];
  return `${lines.join('\n')}\n`;
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
