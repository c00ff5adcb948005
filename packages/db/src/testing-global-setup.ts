import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from './embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server-level URL of the Postgres the integration tests use (each file makes its own database). */
    postgresUrl: string;
  }
}

/**
 * Integration tests run against DATABASE_URL when it is set (CI: the machine's Postgres), and
 * otherwise against an embedded Postgres started here for the run and removed afterwards.
 */
export default async function setup(project: TestProject) {
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('postgresUrl', external);
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'automl-stream-test-'));
  const pg = await startEmbeddedPostgres({ dataDir: dir, database: 'postgres', unsafeFast: true });
  project.provide('postgresUrl', pg.url);
  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
