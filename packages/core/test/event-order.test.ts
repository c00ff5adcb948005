// M1 (security audit): the event bus reads `id > lastId`, so an event whose transaction commits
// after a later id's would be skipped for good. These tests interleave two sessions exactly as the
// audit's reproduction does (A begins and appends, B appends and commits, A commits), with raw
// INSERTs as psql would send them and through appendEvent, and require both events, in id order.
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventBus } from '../src/event-bus.ts';
import { appendEvent, type StoredEvent } from '../src/storage/events-storage.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('event delivery when transactions commit out of id order (M1)', () => {
  let db: TestDatabase;
  let sessionA: postgres.Sql;
  let sessionB: postgres.Sql;
  let bus: EventBus;
  const seen: StoredEvent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    sessionA = postgres(db.url, { max: 1, onnotice: () => {} });
    sessionB = postgres(db.url, { max: 1, onnotice: () => {} });
    bus = new EventBus(db.sql);
    await bus.start();
    bus.subscribe(null, (e) => seen.push(e));
  });
  afterAll(async () => {
    await bus?.stop();
    await sessionA?.end({ timeout: 2 });
    await sessionB?.end({ timeout: 2 });
    await db?.drop();
  });

  /**
   * Session A begins and appends; session B appends and commits while A is open; then A commits.
   * `append` is how each session writes its event. Resolves with the ids each session got.
   */
  async function interleave(
    append: (sql: postgres.TransactionSql | postgres.Sql, marker: string) => Promise<number>,
  ) {
    const marker = `m${Math.random().toString(36).slice(2, 8)}`;
    let releaseA: () => void = () => {};
    const aMayCommit = new Promise<void>((resolve) => {
      releaseA = resolve;
    });
    let aAppended: () => void = () => {};
    const aHasAppended = new Promise<void>((resolve) => {
      aAppended = resolve;
    });
    const a = sessionA.begin(async (tx) => {
      const id = await append(tx, `${marker}-A`);
      aAppended();
      await aMayCommit;
      return id;
    });
    await aHasAppended;
    // B's append either commits at once (nothing serialises appends) or waits for A's commit.
    const b = (async () => append(sessionB, `${marker}-B`))();
    const bFirst = await Promise.race([b.then(() => 'b-committed'), sleep(500).then(() => 'b-waiting')]);
    // Let the bus hear B's notification (if B committed) before A commits.
    await sleep(300);
    releaseA();
    const [idA, idB] = await Promise.all([a, b]);
    return { marker, idA, idB, bFirst };
  }

  const byMarker = (marker: string) => seen.filter((e) => String(e.payload.marker ?? '').startsWith(marker));

  it('delivers both events, in id order, when raw INSERTs interleave (the audit reproduction)', async () => {
    const rawInsert = async (sql: postgres.TransactionSql | postgres.Sql, marker: string) => {
      const [row] = await sql<{ id: string }[]>`
        insert into events (type, payload) values ('drift.checked', ${sql.json({ marker })}) returning id`;
      await sql`select pg_notify('automl_events', '{}')`;
      return Number(row!.id);
    };
    const { marker, idA, idB } = await interleave(rawInsert);
    const delivered = await until(
      () => (byMarker(marker).length >= 2 ? byMarker(marker) : undefined),
      'both events on the bus',
    ).catch(() => byMarker(marker));
    expect(delivered.map((e) => e.payload.marker)).toEqual([`${marker}-A`, `${marker}-B`]);
    expect(delivered.map((e) => e.id)).toEqual([idA, idB]);
    expect(idA).toBeLessThan(idB);
  });

  it('delivers both events, in id order, when appendEvent interleaves', async () => {
    const viaAppend = async (sql: postgres.TransactionSql | postgres.Sql, marker: string) =>
      (await appendEvent(sql, 1, 'training.progress', { marker })).id;
    const { marker, idA, idB, bFirst } = await interleave(viaAppend);
    // B's append waited for A's commit: ids are drawn in commit order.
    expect(bFirst).toBe('b-waiting');
    const delivered = await until(
      () => (byMarker(marker).length >= 2 ? byMarker(marker) : undefined),
      'both events on the bus',
    ).catch(() => byMarker(marker));
    expect(delivered.map((e) => e.payload.marker)).toEqual([`${marker}-A`, `${marker}-B`]);
    expect(delivered.map((e) => e.id)).toEqual([idA, idB]);
  });

  it('retries a failed read with backoff instead of waiting for the next notification (L14)', async () => {
    // A bus whose reads give up after 300 ms, so a locked table makes its read fail.
    const impatient = postgres(db.url, {
      max: 2,
      onnotice: () => {},
      connection: { statement_timeout: 300 },
    });
    const retrying = new EventBus(impatient);
    await retrying.start();
    const got: StoredEvent[] = [];
    retrying.subscribe(null, (e) => got.push(e));
    const locker = postgres(db.url, { max: 1, onnotice: () => {} });
    const marker = `m${Math.random().toString(36).slice(2, 8)}`;
    try {
      await locker.begin(async (tx) => {
        await tx`lock table events in access exclusive mode`;
        // Wake the bus: its read blocks on the lock and fails by its statement timeout.
        await sessionB`select pg_notify('automl_events', '{}')`;
        await sleep(800);
        // The event commits with no notification of its own: only a retried read can find it.
        await tx`insert into events (type, payload) values ('drift.checked', ${tx.json({ marker })})`;
      });
      const delivered = await until(
        () => (got.some((e) => e.payload.marker === marker) ? got : undefined),
        'the event after a failed read',
      );
      expect(delivered.map((e) => e.payload.marker)).toContain(marker);
    } finally {
      await retrying.stop();
      await locker.end({ timeout: 2 });
      await impatient.end({ timeout: 2 });
    }
  });
});
