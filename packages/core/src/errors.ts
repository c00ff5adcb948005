/**
 * Expected failures are data: each carries a code the API layer turns into
 * `extensions.code`, and a message a person can act on. Anything else is a bug and gets masked.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'MODEL_NOT_READY'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE';

export class DomainError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError('BAD_USER_INPUT', message, details);
