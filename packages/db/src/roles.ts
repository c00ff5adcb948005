import type postgres from 'postgres';

/**
 * Gives `role` what the platform needs at run time and nothing more: data access (select,
 * insert, update, delete) on the platform's tables and pg-boss's, its sequences, and reading
 * which migrations are applied. No CREATE anywhere: a stolen DATABASE_URL of the app is not an
 * owner, let alone a superuser (security audit M14). Run as the owner of the schemas, after the
 * migrations; default privileges cover the tables later migrations create.
 */
export async function grantAppRole(sql: postgres.Sql, role: string): Promise<void> {
  const r = sql(role);
  // name: grant-app-role
  await sql`grant usage on schema public, drizzle, pgboss to ${r}`;
  await sql`grant select, insert, update, delete on all tables in schema public, pgboss to ${r}`;
  await sql`grant usage, select, update on all sequences in schema public to ${r}`;
  await sql`grant select on all tables in schema drizzle to ${r}`;
  // Partition maintenance (drizzle/0005): DDL on the partitions of rows and predictions only.
  await sql`grant execute on function automl_create_day_partition(text, date), automl_drop_partition(text, text) to ${r}`;
  await sql`alter default privileges in schema public grant select, insert, update, delete on tables to ${r}`;
  await sql`alter default privileges in schema public grant usage, select, update on sequences to ${r}`;
  await sql`alter default privileges in schema pgboss grant select, insert, update, delete on tables to ${r}`;
  await sql`alter default privileges in schema drizzle grant select on tables to ${r}`;
}
