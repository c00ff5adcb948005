import { DomainError } from '@automl-stream/core';
import type { Principal, Role } from './context.ts';

const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

/** Whether the caller's role is at least `role` (admin ⊃ writer ⊃ reader). */
export function hasRole(principal: Principal, role: Role): boolean {
  return RANK[principal.role] >= RANK[role];
}

/** The refusal of a call above the caller's role, as every transport gives it. */
export function forbidden(principal: Principal, role: Role): DomainError {
  return new DomainError(
    'FORBIDDEN',
    `this operation needs the ${role} role; your key "${principal.name}" has ${principal.role}`,
  );
}

/** Throws FORBIDDEN unless the caller's role is at least `role` (REST routes, the node handler). */
export function assertRole(principal: Principal, role: Role): void {
  if (!hasRole(principal, role)) throw forbidden(principal, role);
}

/** Whether the caller's key may use the pipeline (keys limited to pipelines list them). */
export function mayUsePipeline(principal: Principal, pipeline: string): boolean {
  return principal.pipelines === null || principal.pipelines.includes(pipeline);
}

/** The refusal of a pipeline outside the caller's key, as every transport gives it. */
export function pipelineForbidden(principal: Principal, pipeline: string): DomainError {
  return new DomainError(
    'FORBIDDEN',
    `your key "${principal.name}" may use the pipelines ${(principal.pipelines ?? []).map((p) => `"${p}"`).join(', ')}, not "${pipeline}"`,
    { pipeline },
  );
}

/** Throws FORBIDDEN unless the caller's key may use the pipeline (REST routes). */
export function assertPipeline(principal: Principal, pipeline: string): void {
  if (!mayUsePipeline(principal, pipeline)) throw pipelineForbidden(principal, pipeline);
}
