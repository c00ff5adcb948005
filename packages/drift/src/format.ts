/** Short, stable rendering of a statistic for reasons (3 significant digits). */
export function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}

/** A share in [0, 1] as a percentage with 3 significant digits ("2.13%"). */
export function pct(share: number): string {
  return `${fmt(share * 100)}%`;
}
