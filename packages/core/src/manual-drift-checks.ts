import type { Config } from '@automl-stream/config';
import type { Sql } from '@automl-stream/db';
import type { DriftCheckOutcome, DriftPolicy } from './drift-policy.ts';
import type { EventBus } from './event-bus.ts';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import { driftCheckQueue, type Queues } from './queues.ts';
import {
  checkAnswering,
  type DriftCheckRecord,
  getDriftCheck,
  requestCheckTicket,
  secondsSinceManualCheck,
} from './storage/drift-storage.ts';
import { getProductionVersion } from './storage/models-storage.ts';

/** What checkDrift answers: the check that ran for it, or why there is none (yet). */
export interface ManualCheckOutcome extends Omit<DriftCheckOutcome, 'skipped'> {
  /**
   * `no_model`: nothing serves yet (the bootstrap retrain may have been queued instead);
   * `pending`: the check is queued and did not finish within DRIFT_CHECK_WAIT_SECONDS.
   */
  skipped: 'no_model' | 'pending' | null;
}

interface Waiter {
  ticket: number;
  resolve: (check: DriftCheckRecord) => void;
}

/**
 * Drift checks asked for through the API (checkDrift). The check itself runs on a worker, through
 * the `drift-check` queue: it is CPU-heavy (exact KS over thousands of rows per feature) and must
 * not run on the API's event loop, and the queue's `stately` policy merges concurrent requests
 * into one check (security audit M5). Manual checks start at most once per
 * DRIFT_CHECK_MIN_INTERVAL_SECONDS, platform-wide; a request made sooner waits for that check.
 *
 * Every request takes a number from a sequence; a check records the newest number at its start,
 * before it reads any data, so a check answers every request numbered up to it: the caller gets a
 * check that saw everything it wrote before asking, whichever process or trigger ran it.
 */
export class ManualDriftChecks {
  private waiters = new Set<Waiter>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly bus: EventBus,
    private readonly queues: Queues,
    private readonly drift: DriftPolicy,
    private readonly config: Config,
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  async request(): Promise<ManualCheckOutcome> {
    if (!(await getProductionVersion(this.sql, this.pipeline.id))) {
      const trainingJob = await this.drift.maybeBootstrap();
      return { check: null, trainingJob, skipped: 'no_model' };
    }
    const ticket = await requestCheckTicket(this.sql);
    const answered = this.wait(ticket);
    try {
      const since = await secondsSinceManualCheck(this.sql, this.pipeline.id);
      const interval = this.config.drift.manualMinIntervalSeconds;
      const startAfter = since === null ? 0 : Math.max(0, Math.ceil(interval - since));
      // null when a check is already waiting (stately): it starts after this request, so it answers it.
      await this.queues.send(
        driftCheckQueue,
        { trigger: 'manual', pipelineId: this.pipeline.id },
        { startAfter },
      );
      // A check that finished before the wait began is in the table, not on the bus.
      const done = await checkAnswering(this.sql, this.pipeline.id, ticket);
      const check = done ?? (await answered.promise);
      return { check, trainingJob: null, skipped: check ? null : 'pending' };
    } finally {
      answered.cancel();
    }
  }

  /** Resolves with the first check that answers `ticket`, or null after DRIFT_CHECK_WAIT_SECONDS. */
  private wait(ticket: number): { promise: Promise<DriftCheckRecord | null>; cancel: () => void } {
    let waiter: Waiter | null = null;
    let timer: NodeJS.Timeout | null = null;
    const promise = new Promise<DriftCheckRecord | null>((resolve) => {
      waiter = { ticket, resolve };
      this.waiters.add(waiter);
      this.listen();
      timer = setTimeout(() => resolve(null), this.config.drift.manualWaitSeconds * 1000);
    });
    return {
      promise,
      cancel: () => {
        if (timer) clearTimeout(timer);
        if (waiter) this.waiters.delete(waiter);
        if (this.waiters.size === 0) this.stopListening();
      },
    };
  }

  /** One bus subscription for every waiter of this process; one read per answering check. */
  private listen() {
    if (this.unsubscribe) return;
    this.unsubscribe = this.bus.subscribe(
      ['drift.checked'],
      (event) => {
        const ticket = Number(event.payload.requestTicket ?? 0);
        const answered = [...this.waiters].filter((w) => w.ticket <= ticket);
        if (answered.length === 0) return;
        for (const w of answered) this.waiters.delete(w);
        getDriftCheck(this.sql, this.pipeline.id, Number(event.payload.driftCheckId)).then(
          (check) => {
            for (const w of answered) if (check) w.resolve(check);
          },
          () => {
            // Unreadable now: the caller answers `pending` when its wait runs out.
          },
        );
      },
      this.pipeline.id,
    );
  }

  private stopListening() {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
