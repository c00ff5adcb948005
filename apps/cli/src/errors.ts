import { ApiError } from '@automl-stream/sdk/node.ts';
import { CsvError } from './csv.ts';

/** Bad command-line usage (unknown option, missing argument): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose help to point at. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** A failure to show as is, without a code (a missing file, a refused setting). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Exit codes: 0 success, 1 failure (server, network, data), 2 usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * One readable line (two for usage errors, with where to find help) for any failure, and its exit
 * code. Server errors read `error: <CODE>: <message>`; stacks only with AUTOML_DEBUG=1.
 */
export function describeError(
  error: unknown,
  context: { file?: string; apiKeyGiven?: boolean; debug?: boolean } = {},
): {
  text: string;
  exitCode: number;
} {
  const debug = context.debug && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  if (error instanceof UsageError) {
    const help = error.command ? `automl-stream ${error.command} --help` : 'automl-stream --help';
    return { text: `error: ${error.message}\n(see \`${help}\`)`, exitCode: EXIT.usage };
  }
  if (error instanceof ApiError) {
    let hint = '';
    if (error.code === 'UNAUTHENTICATED' && !context.apiKeyGiven)
      hint = ' (pass --api-key or set AUTOML_API_KEY)';
    if (error.code === 'NETWORK_ERROR')
      hint = ' (is the platform running? `automl-stream start`, or pass --url / set AUTOML_URL)';
    return { text: `error: ${error.code}: ${oneLine(error.message)}${hint}${debug}`, exitCode: EXIT.failure };
  }
  if (error instanceof CsvError) {
    return {
      text: `error: ${context.file ? `${context.file}: ` : ''}${error.message}${debug}`,
      exitCode: EXIT.failure,
    };
  }
  const code = (error as { code?: unknown })?.code;
  if (error instanceof Error && (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES')) {
    const path = (error as { path?: string }).path ?? context.file ?? '';
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : 'permission denied';
    return { text: `error: cannot read ${path}: ${why}${debug}`, exitCode: EXIT.failure };
  }
  if (error instanceof Error && code === 'EADDRINUSE') {
    const port = (error as { port?: number }).port;
    return {
      text: `error: port ${port ?? ''} is in use: is another automl-stream (or something else) running? Stop it, or set PORT / DASHBOARD_PORT${debug}`,
      exitCode: EXIT.failure,
    };
  }
  if (error instanceof Error && error.name === 'ConfigError') {
    return { text: `error: ${error.message}`, exitCode: EXIT.failure };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { text: `error: ${oneLine(message)}${debug}`, exitCode: EXIT.failure };
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
