/** Command-line options of the benchmarks: `--name value` and repeated `--set NAME=VALUE`. */

/** The positive number after `--name`, or `fallback` when the option is absent. */
export function numberArg(name: string, fallback: number, argv: string[] = process.argv): number {
  const i = argv.indexOf(`--${name}`);
  const value = i > 0 ? Number(argv[i + 1]) : fallback;
  if (!(value > 0)) throw new Error(`--${name} takes a positive number`);
  return value;
}

/** Every `--set NAME=VALUE`, as { NAME: VALUE }. */
export function settingArgs(argv: string[] = process.argv): Record<string, string> {
  return Object.fromEntries(
    argv.flatMap((a, i) => (argv[i - 1] === '--set' ? [a.split('=', 2) as [string, string]] : [])),
  );
}
