import pino, { type Logger } from 'pino';

/** Structured JSON logs (pino); `pretty` prints one readable line per event for terminals. */
export function createLogger(level: string, options: { name?: string } = {}): Logger {
  return pino({
    level,
    name: options.name ?? 'automl-stream',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

export type { Logger };
