import type { NodeClient } from '@automl-stream/sdk/node.ts';
import { UsageError } from './errors.ts';
import type { ClientSettings } from './settings.ts';

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
}

export interface OptionSpec {
  /** `list`: takes one or more values (`--set A=1 B=2`, or repeated); `flags` holds a string[]. */
  type: 'string' | 'boolean' | 'list';
  short?: string;
  /** Placeholder in the help, e.g. "<rows/s>". */
  value?: string;
  description: string;
}

export interface CommandContext {
  io: Io;
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
  /**
   * The pipeline the command works on (commands with `usesPipeline`): `--pipeline`, else
   * AUTOML_PIPELINE, else "default"; checked against the naming rule before the command runs.
   */
  pipeline: string;
  /** `--json`: machine output on stdout, nothing else there. */
  json: boolean;
  settings: ClientSettings;
  /** The SDK's Node client for `settings` (created on first use, closed after the command). */
  client(): NodeClient;
  /** Aborted on Ctrl-C: long commands stop cleanly and say what they did. */
  signal: AbortSignal;
}

/**
 * One `automl-stream` command, declared as data: cli.ts turns it into a commander command (parsing,
 * help, usage errors) and runs it with the parsed values.
 */
export interface Command {
  name: string;
  summary: string;
  /** e.g. "ingest <file.csv> [options]" */
  usage: string;
  /** More help: what the command does, examples. */
  details?: string;
  /** Keyed by the option's name as typed (`no-demo` for `--no-demo`); `flags` uses the same keys. */
  options: Record<string, OptionSpec>;
  /** Positional arguments in commander's syntax: `<file.csv>` required, `[argument]` optional. @default [] */
  arguments?: string[];
  /** Talks to a platform through the SDK (takes --url and --api-key). */
  usesApi: boolean;
  /** Works on one pipeline: takes `--pipeline` (or AUTOML_PIPELINE). */
  usesPipeline?: boolean;
  /** Has `--json` output. */
  hasJson: boolean;
  /** Resolves with the exit code; anything but a number means 0. */
  run(context: CommandContext): Promise<unknown>;
}

/** Reads a whole-number option; `undefined` when absent. */
export function intFlag(
  flags: CommandContext['flags'],
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(value)) {
    throw new UsageError(`--${name} must be a whole number (got ${JSON.stringify(raw)})`);
  }
  if (bounds.min !== undefined && value < bounds.min)
    throw new UsageError(`--${name} must be at least ${bounds.min} (got ${value})`);
  if (bounds.max !== undefined && value > bounds.max)
    throw new UsageError(`--${name} must be at most ${bounds.max} (got ${value})`);
  return value;
}

/** Reads a number option; `undefined` when absent. */
export function numberFlag(
  flags: CommandContext['flags'],
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a number (got ${JSON.stringify(raw)})`);
  }
  if (bounds.min !== undefined && value < bounds.min)
    throw new UsageError(`--${name} must be at least ${bounds.min} (got ${value})`);
  if (bounds.max !== undefined && value > bounds.max)
    throw new UsageError(`--${name} must be at most ${bounds.max} (got ${value})`);
  return value;
}

export function stringFlag(flags: CommandContext['flags'], name: string): string | undefined {
  const raw = flags[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** The values of a `list` option (empty when absent). */
export function listFlag(flags: CommandContext['flags'], name: string): string[] {
  const raw = flags[name];
  return Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
}
