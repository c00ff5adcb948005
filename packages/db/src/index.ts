export type { CreateDbOptions, Database, DbHandle, Queryable, Sql } from './client.ts';
export { createDb } from './client.ts';
export type { EmbeddedPostgresHandle, EmbeddedPostgresOptions } from './embedded.ts';
export { findFreePort, startEmbeddedPostgres } from './embedded.ts';
export { migrationsFolder, pendingMigrations, runMigrations } from './migrate.ts';
export { grantAppRole } from './roles.ts';
export * as schema from './schema.ts';
