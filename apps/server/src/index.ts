export { createServerApp, getSchema } from './app.ts';
export type { ServerApp } from './app.ts';
export { ensureAdminKey } from './keys.ts';
export { startServer } from './serve.ts';
export type { RunningServer } from './serve.ts';
