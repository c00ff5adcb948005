import type { Platform } from '@automl-stream/core';
import type { Logger } from 'pino';

export type Role = 'admin' | 'writer' | 'reader';

export interface Principal {
  /** null when authentication is off (AUTH=off) */
  keyId: number | null;
  name: string;
  role: Role;
  /** The pipelines (by name) the key may use; null: every pipeline. */
  pipelines: string[] | null;
}

export interface GraphQLContext {
  platform: Platform;
  logger: Logger;
  requestId: string;
  principal: Principal;
}

/** An operation's context for an admitted caller (Yoga's and the fast path's alike). */
export function requestContext(platform: Platform, principal: Principal, requestId: string): GraphQLContext {
  return { platform, principal, requestId, logger: platform.logger.child({ requestId }) };
}
