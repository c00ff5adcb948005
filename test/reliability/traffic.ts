/**
 * Client traffic for the reliability tests: writers that ingest labelled batches with unique batch
 * ids (over GraphQL or REST) and optionally predict, recording exactly what the server
 * acknowledged, so the database can be compared with it afterwards.
 */
import type { DbHandle } from '../../apps/server/test/hardening/harness.ts';
import { INGEST, labelledBatch, PREDICT } from '../../apps/server/test/hardening/harness.ts';

export type Transport = 'graphql' | 'rest';

export interface BatchRecord {
  batchId: string;
  rows: number;
  features: number[][];
  labels: number[];
  transport: Transport;
  /** acked: the server answered success; failed: an error answer; unknown: no answer (cut off). */
  outcome: 'acked' | 'failed' | 'unknown';
  /** Error code or transport error, when not acked. */
  error?: string;
  at: number;
}

export interface TrafficLog {
  batches: BatchRecord[];
  /** Prediction ids the server returned. */
  predictionIds: string[];
  requests: number;
  errors: { at: number; what: string; error: string }[];
}

export interface ClientOptions {
  url: string;
  key: string;
  transport: Transport;
  /** Unique prefix of this client's batch ids. */
  name: string;
  rowsPerBatch: number;
  /** Rows per predict request after each ingest; 0 = ingest only. */
  predictRows: number;
  log: TrafficLog;
  /** The loop runs until this returns true (checked before each request). */
  stop: () => boolean;
  /** Pause after a failed request (a client backing off). @default 0 */
  backoffMs?: number;
}

function describeError(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

/** One ingest; resolves with the record (never throws). */
export async function ingestOnce(
  url: string,
  key: string,
  transport: Transport,
  batch: { batchId: string; features: number[][]; labels: number[] },
): Promise<{ outcome: BatchRecord['outcome']; duplicate?: boolean; rowsStored?: number; error?: string }> {
  try {
    const response =
      transport === 'graphql'
        ? await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ query: INGEST, variables: { input: batch } }),
          })
        : await fetch(`${url}/ingest/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ features: batch.features, labels: batch.labels, batch_id: batch.batchId }),
          });
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { outcome: 'failed', error: `HTTP ${response.status}: ${text.slice(0, 100)}` };
    }
    if (transport === 'graphql') {
      const errors = body.errors as { extensions?: { code?: string }; message: string }[] | undefined;
      const data = (body.data as { ingest?: { duplicate: boolean; rowsStored: number } } | null)?.ingest;
      if (response.status !== 200 || errors?.length || !data) {
        return { outcome: 'failed', error: errors?.[0]?.extensions?.code ?? `HTTP ${response.status}` };
      }
      return { outcome: 'acked', duplicate: data.duplicate, rowsStored: data.rowsStored };
    }
    if (response.status !== 200) {
      return {
        outcome: 'failed',
        error: (body.error as { code?: string } | undefined)?.code ?? `HTTP ${response.status}`,
      };
    }
    return { outcome: 'acked', duplicate: body.duplicate as boolean, rowsStored: body.rows_stored as number };
  } catch (error) {
    return { outcome: 'unknown', error: describeError(error) };
  }
}

/** Predicts `rows` rows; returns the prediction ids or an error. */
async function predictOnce(url: string, key: string, transport: Transport, features: number[][]) {
  try {
    const response =
      transport === 'graphql'
        ? await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ query: PREDICT, variables: { input: { features } } }),
          })
        : await fetch(`${url}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            body: JSON.stringify({ features }),
          });
    const body = (await response.json()) as Record<string, unknown>;
    if (transport === 'graphql') {
      const predictions = (body.data as { predict?: { predictions: { id: string }[] } } | null)?.predict
        ?.predictions;
      if (response.status !== 200 || body.errors || !predictions || predictions.length !== features.length) {
        return { error: JSON.stringify(body.errors ?? body).slice(0, 200) };
      }
      return { ids: predictions.map((p) => p.id) };
    }
    const ids = body.prediction_ids as string[] | undefined;
    if (response.status !== 200 || !ids || ids.length !== features.length) {
      return { error: JSON.stringify(body).slice(0, 200) };
    }
    return { ids };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/** A client loop: ingest a fresh batch, then predict (if asked), until `stop()`. */
export async function runClient(options: ClientOptions): Promise<void> {
  const { log } = options;
  for (let n = 0; !options.stop(); n++) {
    const seed = Number.parseInt(options.name.replace(/\D/g, '') || '0', 10) * 1_000_003 + n + 1;
    const { features, labels } = labelledBatch(options.rowsPerBatch, seed);
    const batchId = `${options.name}-${n}`;
    const at = Date.now();
    log.requests++;
    const result = await ingestOnce(options.url, options.key, options.transport, {
      batchId,
      features,
      labels,
    });
    const record: BatchRecord = {
      batchId,
      rows: features.length,
      features,
      labels,
      transport: options.transport,
      outcome: result.outcome,
      at,
      ...(result.error ? { error: result.error } : {}),
    };
    log.batches.push(record);
    if (result.outcome !== 'acked') {
      log.errors.push({ at, what: `ingest ${batchId}`, error: result.error ?? '?' });
      if (options.backoffMs) await new Promise((r) => setTimeout(r, options.backoffMs));
      continue;
    }
    if (result.duplicate || result.rowsStored !== features.length) {
      log.errors.push({
        at,
        what: `ingest ${batchId}`,
        error: `unexpected answer ${JSON.stringify(result)}`,
      });
    }
    if (options.predictRows > 0 && !options.stop()) {
      log.requests++;
      const predicted = await predictOnce(
        options.url,
        options.key,
        options.transport,
        features.slice(0, options.predictRows),
      );
      if (predicted.ids) log.predictionIds.push(...predicted.ids);
      else log.errors.push({ at: Date.now(), what: 'predict', error: predicted.error ?? '?' });
    }
  }
}

export const newLog = (): TrafficLog => ({ batches: [], predictionIds: [], requests: 0, errors: [] });

export interface StoredBatch {
  batchId: string;
  rowCount: number;
  /** Rows actually present for this batch. */
  rowsPresent: number;
}

/** Every batch in the database with its declared and actual row counts. */
export async function storedBatches(sql: DbHandle['sql']): Promise<Map<string, StoredBatch>> {
  const rows = await sql<{ batch_id: string; row_count: number; rows_present: number }[]>`
    select b.batch_id, b.row_count, (select count(*)::int from rows r where r.batch_pk = b.id) as rows_present
    from batches b`;
  return new Map(
    rows.map((r) => [
      r.batch_id,
      { batchId: r.batch_id, rowCount: r.row_count, rowsPresent: r.rows_present },
    ]),
  );
}

/** How long the reliability loads run, from RELIABILITY_SECONDS (the full run is 60). */
export function reliabilitySeconds(fallback: number): number {
  const raw = process.env.RELIABILITY_SECONDS;
  const n = raw ? Number(raw) : fallback;
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`RELIABILITY_SECONDS must be a positive number of seconds (got "${raw}")`);
  return n;
}
