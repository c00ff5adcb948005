import { DomainError } from '@automl-stream/core';

/** Largest page any list query returns. */
export const MAX_PAGE = 500;

export function page(args: { limit?: number | null; offset?: number | null }, defaultLimit = 50) {
  const limit = args.limit ?? defaultLimit;
  const offset = args.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new DomainError('BAD_USER_INPUT', `limit must be between 1 and ${MAX_PAGE} (got ${limit})`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new DomainError('BAD_USER_INPUT', `offset must be 0 or more (got ${offset})`);
  }
  return { limit, offset };
}
