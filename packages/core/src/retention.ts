import type { Config } from '@automl-stream/config';
import type { Queryable } from '@automl-stream/db';
import type { Logger } from 'pino';
import { partitionMaintenanceQueue, type Queues } from './queues.ts';
import {
  createDayPartition,
  daysInDefaultPartition,
  dropPartition,
  listPartitions,
  PARTITIONED_TABLES,
  type Partition,
} from './storage/retention-storage.ts';

/** Day partitions kept ready after today's, so a maintenance run missed for a day changes nothing. */
export const PARTITION_DAYS_AHEAD = 2;
/** How often partition maintenance is sent (platform-wide, whatever the number of workers). */
export const PARTITION_MAINTENANCE_SECONDS = 3600;

const DAY_MS = 86_400_000;

export interface PartitionMaintenance {
  /** Partitions created (days ahead, and days the default partition had caught). */
  created: string[];
  /** Partitions dropped: every one whose rows were all older than `retainDays`. */
  dropped: string[];
}

/** The UTC day `offset` days after `at`'s, as `YYYY-MM-DD`. */
export function utcDay(at: Date, offset = 0): string {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS + offset * DAY_MS).toISOString().slice(0, 10);
}

/** Whether the day's range meets an existing range partition (the history one, or the day's own). */
function covered(partitions: Partition[], day: string): boolean {
  const from = Date.parse(`${day}T00:00:00Z`);
  const to = from + DAY_MS;
  return partitions.some(
    (p) =>
      !p.isDefault && (p.from === null || p.from.getTime() < to) && p.to !== null && p.to.getTime() > from,
  );
}

/**
 * One maintenance pass over rows and predictions: creates the day partitions from today to
 * PARTITION_DAYS_AHEAD days ahead and those of the days the default partition caught (moving the
 * rows in), then, unless `retainDays` is 0, drops every partition whose upper bound is at least
 * `retainDays` days old. So a row is kept at least `retainDays` days and dropped within a day
 * (and one maintenance interval) after. Idempotent; concurrent passes serialise in Postgres.
 */
export async function maintainPartitions(
  sql: Queryable,
  options: { retainDays: number; now?: Date; daysAhead?: number },
): Promise<PartitionMaintenance> {
  const now = options.now ?? new Date();
  const ahead = options.daysAhead ?? PARTITION_DAYS_AHEAD;
  const result: PartitionMaintenance = { created: [], dropped: [] };
  for (const table of PARTITIONED_TABLES) {
    const existing = (await listPartitions(sql)).filter((p) => p.table === table);
    const days = new Set(await daysInDefaultPartition(sql, table));
    for (let i = 0; i <= ahead; i++) days.add(utcDay(now, i));
    for (const day of [...days].sort()) {
      if (covered(existing, day)) continue;
      if (await createDayPartition(sql, table, day))
        result.created.push(`${table}_p${day.replaceAll('-', '')}`);
    }
  }
  if (options.retainDays > 0) {
    const cutoff = now.getTime() - options.retainDays * DAY_MS;
    for (const p of await listPartitions(sql)) {
      if (p.isDefault || p.to === null || p.to.getTime() > cutoff) continue;
      if (await dropPartition(sql, p.table, p.name)) result.dropped.push(p.name);
    }
  }
  return result;
}

/**
 * Takes partition-maintenance jobs in this process (a worker) and returns the function that asks
 * for one, at most once per PARTITION_MAINTENANCE_SECONDS platform-wide: the caller runs it at
 * start and on a timer.
 */
export async function workPartitionMaintenance(
  queues: Queues,
  sql: Queryable,
  config: Config,
  logger: Logger,
): Promise<() => Promise<unknown>> {
  await queues.work(partitionMaintenanceQueue, async (_payload, job) => {
    const outcome = await maintainPartitions(sql, { retainDays: config.data.retainDays });
    if (outcome.created.length + outcome.dropped.length > 0)
      job.logger.info(outcome, 'partitions of rows and predictions maintained');
  });
  return () =>
    queues
      .sendThrottled(partitionMaintenanceQueue, {}, PARTITION_MAINTENANCE_SECONDS)
      .catch((error) => logger.warn({ err: error }, 'partition maintenance could not be scheduled'));
}
