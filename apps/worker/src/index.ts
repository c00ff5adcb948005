export type { RunningWorker } from './worker.ts';
export { startWorker } from './worker.ts';
