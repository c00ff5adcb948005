import type { Platform } from '@automl-stream/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one server process (`/metrics`). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'automl_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'automl_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly graphqlOperations = new Counter({
    name: 'automl_graphql_operations_total',
    help: 'GraphQL operations by type and name',
    labelNames: ['type', 'name', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly predictionsServed = new Counter({
    name: 'automl_predictions_served_total',
    help: 'Predictions served by this process',
    registers: [this.registry],
  });
  readonly rowsIngested = new Counter({
    name: 'automl_rows_ingested_total',
    help: 'Rows ingested through this process',
    registers: [this.registry],
  });
  readonly missingValues = new Counter({
    name: 'automl_missing_values_total',
    help: 'Missing cells in rows ingested or predicted through this process',
    labelNames: ['path'] as const,
    registers: [this.registry],
  });
  readonly unseenCategories = new Counter({
    name: 'automl_unseen_categories_total',
    help: 'Cells of predicted rows whose category the serving model never saw',
    registers: [this.registry],
  });
  readonly rowsRefused = new Counter({
    name: 'automl_rows_refused_total',
    help: 'Rows of batches refused for their content (BAD_USER_INPUT) by this process',
    registers: [this.registry],
  });
  readonly dataQuality = new Gauge({
    name: 'automl_drift_data_quality',
    help: "Last drift check's window: missing_rate, unseen_categories, out_of_range (cells)",
    labelNames: ['measure'] as const,
    registers: [this.registry],
  });
  readonly activeModelVersion = new Gauge({
    name: 'automl_active_model_version',
    help: 'Model version this process serves (0 = none)',
    registers: [this.registry],
  });
  readonly driftScore = new Gauge({
    name: 'automl_drift_score',
    help: 'Last drift check per feature: KS statistic and PSI',
    labelNames: ['feature', 'statistic'] as const,
    registers: [this.registry],
  });
  readonly driftChecks = new Counter({
    name: 'automl_drift_checks_total',
    help: 'Drift checks seen, by verdict',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  readonly trainingDuration = new Histogram({
    name: 'automl_training_duration_seconds',
    help: 'Model training time per retrain',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  private unsubscribers: (() => void)[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'automl_' });
  }

  /** Follows the platform's events so every replica reports the same loop state. */
  attach(platform: Platform) {
    this.activeModelVersion.set(platform.holder.current?.version ?? 0);
    this.unsubscribers.push(platform.holder.onSwap((m) => this.activeModelVersion.set(m?.version ?? 0)));
    // Rows and predictions counted where they are stored, whichever API (GraphQL, REST) asked.
    this.unsubscribers.push(
      platform.data.observe({
        ingested: (n) => this.rowsIngested.inc(n),
        predicted: (n) => this.predictionsServed.inc(n),
        quality: (q) => {
          this.missingValues.inc({ path: q.path }, q.missing);
          this.unseenCategories.inc(q.unseenCategories);
        },
        refused: (n) => this.rowsRefused.inc(n),
      }),
    );
    this.unsubscribers.push(
      platform.bus.subscribe(['drift.checked'], (event) => {
        void platform.driftChecks.ofEvent(event).then(
          (check) => {
            if (!check) return;
            this.driftChecks.inc({ verdict: check.verdict });
            for (const f of check.features) {
              this.driftScore.set({ feature: f.feature, statistic: 'ks' }, f.ksStatistic);
              this.driftScore.set({ feature: f.feature, statistic: 'psi' }, f.psi);
            }
            const quality = check.details.quality as
              | { missingRate: number; unseenCategories: number; outOfRange: number }
              | undefined;
            if (quality) {
              this.dataQuality.set({ measure: 'missing_rate' }, quality.missingRate);
              this.dataQuality.set({ measure: 'unseen_categories' }, quality.unseenCategories);
              this.dataQuality.set({ measure: 'out_of_range' }, quality.outOfRange);
            }
          },
          () => {},
        );
      }),
    );
    this.unsubscribers.push(
      platform.bus.subscribe(['training.finished'], (event) => {
        const ms = Number(event.payload.trainingMs);
        if (Number.isFinite(ms)) this.trainingDuration.observe(ms / 1000);
      }),
    );
  }

  detach() {
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
  }
}
