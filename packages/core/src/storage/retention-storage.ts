import type { Queryable } from '@automl-stream/db';

/**
 * The tables partitioned by UTC day of `created_at` (drizzle/0005). Each has `<t>_history`
 * (everything before the day it was partitioned), `<t>_pYYYYMMDD` per day, and `<t>_default`.
 */
export const PARTITIONED_TABLES = ['rows', 'predictions'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

export interface Partition {
  table: PartitionedTable;
  name: string;
  /** The default partition: rows no range covers (never dropped). */
  isDefault: boolean;
  /** Inclusive lower bound; null for the history partition's MINVALUE and for the default. */
  from: Date | null;
  /** Exclusive upper bound; null for the default. */
  to: Date | null;
}

/** Every partition of the platform's partitioned tables, with its bounds, oldest first. */
export async function listPartitions(sql: Queryable): Promise<Partition[]> {
  // The bounds as Postgres prints them ('2026-12-04 00:00:00+00', with the session's offset)
  // cast back to timestamptz: exact in any session time zone.
  // name: list-partitions
  const rows = await sql<
    { table: PartitionedTable; name: string; bound: string; from: Date | null; to: Date | null }[]
  >`
    select p.relname as table, c.relname as name, b.bound,
      (regexp_match(b.bound, 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz as from,
      (regexp_match(b.bound, 'TO \\(''([^'']+)''\\)'))[1]::timestamptz as to
    from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent
      cross join lateral (select pg_get_expr(c.relpartbound, c.oid) as bound) b
    where p.relnamespace = 'public'::regnamespace and p.relname = any(${PARTITIONED_TABLES as unknown as string[]})
    order by p.relname, b.bound = 'DEFAULT', 5`;
  return rows.map((r) => ({
    table: r.table,
    name: r.name,
    isDefault: r.bound === 'DEFAULT',
    from: r.from,
    to: r.to,
  }));
}

/**
 * Creates `table`'s partition for one UTC day (`YYYY-MM-DD`), moving into it the rows the default
 * partition caught for that day. False when it existed already. Runs as the tables' owner
 * (SECURITY DEFINER, drizzle/0005), so the app role may call it.
 */
export async function createDayPartition(
  sql: Queryable,
  table: PartitionedTable,
  day: string,
): Promise<boolean> {
  // name: create-day-partition
  const [row] = await sql<{ created: boolean }[]>`
    select automl_create_day_partition(${table}, ${day}::date) as created`;
  return row?.created ?? false;
}

/** Drops one partition of `table` (never the default); false when there was none of that name. */
export async function dropPartition(sql: Queryable, table: PartitionedTable, name: string): Promise<boolean> {
  // name: drop-partition
  const [row] = await sql<{ dropped: boolean }[]>`select automl_drop_partition(${table}, ${name}) as dropped`;
  return row?.dropped ?? false;
}

/** The UTC days (`YYYY-MM-DD`) of the rows `table`'s default partition holds, oldest first. */
export async function daysInDefaultPartition(sql: Queryable, table: PartitionedTable): Promise<string[]> {
  const day = sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`;
  // name: days-in-default-partition
  const rows = await (table === 'rows'
    ? sql<{ day: string }[]>`select distinct ${day} as day from rows_default order by day`
    : sql<{ day: string }[]>`select distinct ${day} as day from predictions_default order by day`);
  return rows.map((r) => r.day);
}

export interface TableSize {
  table: string;
  /** Heap, TOAST and free-space maps, summed over the partitions of a partitioned table. */
  tableBytes: number;
  indexBytes: number;
}

/** Disk used by each table of the platform's schema (partitions summed into their table). */
export async function readTableSizes(sql: Queryable): Promise<TableSize[]> {
  // name: read-table-sizes
  const rows = await sql<{ table: string; table_bytes: string; index_bytes: string }[]>`
    select coalesce(parent.relname, c.relname) as table,
      sum(pg_table_size(c.oid))::bigint::text as table_bytes,
      sum(pg_indexes_size(c.oid))::bigint::text as index_bytes
    from pg_class c
      left join pg_inherits i on i.inhrelid = c.oid
      left join pg_class parent on parent.oid = i.inhparent
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
    group by 1 order by 1`;
  return rows.map((r) => ({
    table: r.table,
    tableBytes: Number(r.table_bytes),
    indexBytes: Number(r.index_bytes),
  }));
}
