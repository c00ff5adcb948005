// M11 and L4 (security audit, issue #19): the ADMIN_API_KEY lifecycle against real server processes.
// A revoked ADMIN_API_KEY no longer crash-loops every start; rotating it revokes the old key; a
// placeholder is refused with the variable named and its value not shown; a first admin key never
// goes to a log stream.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiKeys } from '@automl-stream/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createKey,
  createTestDatabase,
  newApiKey,
  repoRoot,
  spawnServer,
  type TestDatabase,
} from './harness.ts';

const status = async (url: string, key: string) =>
  (
    await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ stats { rowsIngested } }' }),
    })
  ).status;

describe('ADMIN_API_KEY lifecycle (M11)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('starts with a revoked ADMIN_API_KEY, which then grants nothing, and says why', async () => {
    const leaked = newApiKey();
    const first = await spawnServer({ databaseUrl: db.url, adminKey: leaked });
    await first.stop();
    // The response to a leak: another admin key, then the leaked one revoked.
    const other = await createKey(db.sql, 'admin');
    const keys = new ApiKeys(db.sql);
    expect(await keys.revoke({ prefix: leaked.split('_')[1]! })).toHaveLength(1);

    const restarted = await spawnServer({ databaseUrl: db.url, adminKey: leaked });
    try {
      expect(await status(restarted.url, leaked)).toBe(401);
      expect(await status(restarted.url, other)).toBe(200);
      expect(restarted.output.join('')).toContain(
        'ADMIN_API_KEY was revoked and stays revoked: it grants nothing. Set a new key in ADMIN_API_KEY',
      );
    } finally {
      await restarted.stop();
    }
  });

  it('revokes the previous ADMIN_API_KEY when it is rotated', async () => {
    const before = newApiKey();
    const after = newApiKey();
    await (await spawnServer({ databaseUrl: db.url, adminKey: before })).stop();
    const rotated = await spawnServer({ databaseUrl: db.url, adminKey: after });
    try {
      expect(await status(rotated.url, after)).toBe(200);
      expect(await status(rotated.url, before)).toBe(401);
    } finally {
      await rotated.stop();
    }
  });

  it('refuses a placeholder ADMIN_API_KEY, naming the variable without echoing the value', async () => {
    const placeholder = 'ams_changeme_CHANGE_ME_32_CHARACTERS_xxxxxxxx';
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/main.ts'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, PORT: '0', ADMIN_API_KEY: placeholder },
    });
    let output = '';
    child.stdout!.on('data', (d) => {
      output += d;
    });
    child.stderr!.on('data', (d) => {
      output += d;
    });
    // A server that accepts the placeholder keeps running: give it 30 s, then stop it (and fail).
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    expect(code).toBe(1);
    expect(output).toMatch(/ADMIN_API_KEY: looks like a placeholder, not a random key/);
    expect(output).not.toContain(placeholder);
  });
});

describe('a first admin key when stdout is not a terminal (L4)', () => {
  let db: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    dataDir = await mkdtemp(path.join(tmpdir(), 'automl-keys-'));
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is written to DATA_DIR/admin-api-key (mode 600), not to the log stream', async () => {
    const server = await spawnServer({ databaseUrl: db.url, env: { ADMIN_API_KEY: '', DATA_DIR: dataDir } });
    try {
      const file = path.join(dataDir, 'admin-api-key');
      const key = (await readFile(file, 'utf8')).trim();
      expect(key).toMatch(/^ams_[a-z0-9]{8}_[A-Za-z0-9_-]{32}$/);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(server.output.join('')).not.toContain(key);
      expect(server.output.join('')).toContain(`written to ${file} (mode 600)`);
      expect(await status(server.url, key)).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
