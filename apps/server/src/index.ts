export type { ServerApp } from './app.ts';
export { createServerApp, getSchema } from './app.ts';
export { ensureAdminKey } from './keys.ts';
export type { RunningServer } from './serve.ts';
export { startServer } from './serve.ts';
