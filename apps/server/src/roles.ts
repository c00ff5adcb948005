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
