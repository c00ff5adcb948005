export { WorkerMetrics } from './metrics.ts';
export type { ProbeOptions, WorkerProbe } from './probe.ts';
export { PROBE_ROUTES, startProbe } from './probe.ts';
export type { RunningWorker } from './worker.ts';
export { startWorker } from './worker.ts';
