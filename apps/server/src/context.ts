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
