import { DomainError } from '@automl-stream/core';
import type { GraphQLContext, Role } from '../context.ts';

const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

/** Throws FORBIDDEN unless the caller's role is at least `role` (admin ⊃ writer ⊃ reader). */
export function requireRole(ctx: GraphQLContext, role: Role): void {
  if (RANK[ctx.principal.role] < RANK[role]) {
    throw new DomainError(
      'FORBIDDEN',
      `this operation needs the ${role} role; your key "${ctx.principal.name}" has ${ctx.principal.role}`,
    );
  }
}
