import { gql, startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { seaConcepts } from '@automl-stream/streams';
import { type Client, createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';

const INGEST = `mutation Ingest($input: IngestInput!) {
  ingest(input: $input) { rowsStored batchAccuracy modelVersion }
}`;

interface SeenEvent {
  id: number;
  type: string;
  payload: Record<string, unknown>;
  /** Rows ingested when the event reached the subscriber. */
  position: number;
}

const DRIFT_AT = 4000;
const BATCH = 100;

/**
 * The whole loop on a real platform (server + in-process pg-boss workers) fed by SEA concepts with
 * an abrupt concept change at row 4,000 (threshold 7 → 9.5: about 20 % of labels flip; 5 % noise):
 * bootstrap v1 → no drift before the change → drift detected after it → retrain → v2 promoted →
 * accuracy on the new concept recovers. A graphql-ws subscriber records the events in order.
 */
describe('closed loop on SEA concepts', () => {
  let p: TestPlatform;
  let ws: Client;
  const events: SeenEvent[] = [];
  let position = 0;

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'true',
      MIN_TRAIN_ROWS: '500',
      WINDOW_SIZE: '500',
      TRAIN_WINDOW: '3000',
      N_ESTIMATORS: '30',
      RETRAIN_WAIT_SECONDS: '60',
      CHECK_INTERVAL_SECONDS: '3600',
    });
    ws = createClient({
      url: p.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${p.adminKey}` },
    });
    await new Promise<void>((resolve, reject) => {
      ws.subscribe(
        { query: 'subscription { platformEvents { id type payload } }' },
        {
          next: (msg) => {
            const e = (
              msg.data as { platformEvents: { id: number; type: string; payload: Record<string, unknown> } }
            ).platformEvents;
            events.push({ ...e, position });
          },
          error: reject,
          complete: () => {},
        },
      );
      ws.on('connected', () => setTimeout(resolve, 200));
    });
  });

  afterAll(async () => {
    await ws?.dispose();
    await p?.stop();
  });

  it('bootstraps, detects the change, retrains, promotes v2 and recovers', async () => {
    const stream = seaConcepts({ seed: 11, concepts: [2, 3], driftPositions: [DRIFT_AT], noise: 0.05 });
    const all = stream.take(14_000);
    const results: { start: number; accuracy: number | null; version: number | null }[] = [];
    let promotedV2At: number | null = null;
    const started = Date.now();
    for (let start = 0; start < all.labels.length; start += BATCH) {
      const features = all.features.slice(start, start + BATCH);
      const labels = all.labels.slice(start, start + BATCH);
      const r = await gql<{
        ingest: { rowsStored: number; batchAccuracy: number | null; modelVersion: number | null };
      }>(p.graphqlUrl, INGEST, { input: { features, labels, batchId: `sea-${start}` } }, p.adminKey);
      expect(r.errors).toBeUndefined();
      position = start + BATCH;
      results.push({ start, accuracy: r.data!.ingest.batchAccuracy, version: r.data!.ingest.modelVersion });
      const v2 = events.find((e) => e.type === 'model.promoted' && e.payload.version === 2);
      if (v2 && promotedV2At === null) promotedV2At = v2.position;
      if (promotedV2At !== null && position >= promotedV2At + 1500) break;
      // About 1,000 rows a second: the rate a streaming client would send, and slow enough that
      // queued checks run between batches.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const promoted = events.filter((e) => e.type === 'model.promoted');
    const detected = events.filter((e) => e.type === 'drift.detected');
    const checks = events.filter((e) => e.type === 'drift.checked');
    const v1 = promoted.find((e) => e.payload.version === 1);
    expect(v1, 'version 1 bootstraps after MIN_TRAIN_ROWS labelled rows').toBeDefined();
    expect(v1!.position).toBeLessThan(2000);

    // No false alarm on the stationary first concept, though checks ran there.
    const checksBefore = checks.filter((e) => e.position <= DRIFT_AT && v1 && e.position > v1.position);
    expect(checksBefore.length).toBeGreaterThan(0);
    expect(detected.filter((e) => e.position <= DRIFT_AT)).toEqual([]);

    // The change is found, once, and a retrain follows.
    const story = events
      .filter((e) => e.type !== 'training.progress' && e.type !== 'drift.checked')
      .map((e) => `${e.position} ${e.type} ${JSON.stringify(e.payload).slice(0, 160)}`)
      .join('\n');
    expect(detected.length, `no drift detected; the events were:\n${story}`).toBeGreaterThan(0);
    const firstDetection = detected[0]!;
    const delay = firstDetection.position - DRIFT_AT;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(2000);
    expect(firstDetection.payload.conceptDrift).toBe(true);
    expect(firstDetection.payload.action).toBe('retrain_queued');

    // Events of that retrain arrive in order over graphql-ws.
    const jobId = firstDetection.payload.trainingJobId;
    const ofJob = events.filter(
      (e) => e === firstDetection || (e.type !== 'drift.checked' && e.payload.trainingJobId === jobId),
    );
    const order = ofJob.map((e) => e.type).filter((t, i, a) => a.indexOf(t) === i);
    expect(order).toEqual([
      'drift.detected',
      'training.queued',
      'training.started',
      'training.progress',
      'training.finished',
      'model.promoted',
    ]);
    expect(promotedV2At).not.toBeNull();

    // Accuracy (test-then-train, each batch scored before it was stored).
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const acc = (from: number, to: number, version: number) =>
      results
        .filter((r) => r.start >= from && r.start < to && r.version === version && r.accuracy !== null)
        .map((r) => r.accuracy!);
    const beforeChange = mean(acc(v1!.position, DRIFT_AT, 1));
    const afterChangeV1 = mean(acc(DRIFT_AT, firstDetection.position, 1));
    const afterV2 = mean(acc(promotedV2At!, promotedV2At! + 1500, 2));
    console.info(
      `loop: v1 at row ${v1!.position}; change at ${DRIFT_AT}; detected at ${firstDetection.position} (delay ${delay} rows); ` +
        `v2 serving at ${promotedV2At} (${promotedV2At! - firstDetection.position} rows after detection); ` +
        `accuracy v1 before ${beforeChange.toFixed(3)}, v1 after change ${afterChangeV1.toFixed(3)}, v2 ${afterV2.toFixed(3)}; ` +
        `${checks.length} checks, ${detected.length} drifts, ${(Date.now() - started) / 1000}s`,
    );
    expect(beforeChange).toBeGreaterThan(0.9);
    expect(afterChangeV1).toBeLessThan(0.85);
    // A forest trained on 1,300 clean rows of the new concept scores 0.915 (5 % label noise caps
    // it at 0.95); v2 learns from the rows after ADWIN's estimated change point.
    expect(afterV2).toBeGreaterThan(0.86);
    expect(afterV2 - afterChangeV1).toBeGreaterThan(0.08);
    // v2 learned from the rows after the estimated change, not from a mixed window.
    const [v2] = await p.database.sql<{ since: string | null; change_at: Date | null }[]>`
      select m.params->>'since' as since, j.change_at from model_versions m join training_jobs j on j.id = m.training_job_id
      where m.version = 2`;
    expect(v2?.change_at).toBeInstanceOf(Date);
    expect(v2?.since).toBe(v2!.change_at!.toISOString());
    // One shift, one drift retrain (a fast first model of the new regime); the retrains after it
    // are growth of that regime as its rows double: 500 rows of it, then 1,000, 2,000, ... up to the
    // 10,000 rows after the change, so at most log2(10,000 / 500) of them.
    const retrainsAfterChange = events.filter((e) => e.type === 'training.queued' && e.position > DRIFT_AT);
    expect(retrainsAfterChange.filter((e) => e.payload.driftCheckId !== null)).toHaveLength(1);
    const growth = retrainsAfterChange.filter((e) => e.payload.driftCheckId === null);
    for (const g of growth) expect(String(g.payload.reason)).toMatch(/^growth of the new regime: /);
    expect(growth.length).toBeLessThanOrEqual(Math.ceil(Math.log2(10_000 / 500)));
  });
});
