import {
  driftCheckQueue,
  type JobObserver,
  type JobOutcome,
  type Queues,
  retrainQueue,
} from '@automl-stream/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one worker process (the probe's `/metrics`): the process's default metrics
 * with the server's `automl_` prefix, and the jobs its queue workers handled, counted by
 * `Queues.work` as they start and end.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: 'automl_worker_jobs_total',
    help: 'Queue jobs handled by this worker, by queue and outcome (completed, failed, dropped)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly jobsInProgress = new Gauge({
    name: 'automl_worker_jobs_in_progress',
    help: 'Queue jobs this worker is running now, by queue',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'automl_worker_job_duration_seconds',
    help: 'Time from taking a queue job to its outcome, by queue',
    labelNames: ['queue'] as const,
    // Drift checks take milliseconds to a second; retrains seconds to minutes.
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });

  private readonly observer: JobObserver = {
    started: (queue) => this.jobsInProgress.inc({ queue }),
    finished: (queue, outcome, seconds) => {
      this.jobsInProgress.dec({ queue });
      this.jobs.inc({ queue, outcome });
      this.jobDuration.observe({ queue }, seconds);
    },
  };
  private unobserve: (() => void) | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'automl_' });
    // Every series exists from the start (at 0), so that rate() and alerts see the first job.
    const outcomes: JobOutcome[] = ['completed', 'failed', 'dropped'];
    for (const queue of [driftCheckQueue.name, retrainQueue.name]) {
      this.jobsInProgress.set({ queue }, 0);
      for (const outcome of outcomes) this.jobs.inc({ queue, outcome }, 0);
    }
  }

  /** Counts the jobs `queues` hands to this process's workers from now on. */
  attach(queues: Queues) {
    this.detach();
    this.unobserve = queues.observe(this.observer);
  }

  detach() {
    this.unobserve?.();
    this.unobserve = null;
  }
}
