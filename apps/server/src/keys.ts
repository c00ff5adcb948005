import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from '@automl-stream/core';

/** The name ADMIN_API_KEY is stored under; its earlier values (same name) are revoked on rotation. */
export const ADMIN_KEY_NAME = 'admin (ADMIN_API_KEY)';

/** Where a first admin key goes when stdout is not a terminal (it is a log stream then). */
export const adminKeyFile = (platform: Platform) =>
  path.resolve(platform.config.database.dataDir, 'admin-api-key');

/**
 * With authentication on, makes sure an admin can get in:
 * - ADMIN_API_KEY is registered when given, and earlier values of it are revoked (rotation). A
 *   value that was revoked (the response to a leak) is not registered again and does not stop the
 *   start: it is reported, and grants nothing until a new key is set.
 * - Otherwise, on the very first start (no admin key at all), an admin key is created once (one
 *   between replicas starting together). It is printed on a terminal; when stdout is not one (a
 *   container's log stream), it is written to `<DATA_DIR>/admin-api-key` (mode 600) instead.
 * Returns the admin key this start knows, or null.
 */
export async function ensureAdminKey(
  platform: Platform,
  print: (line: string) => void,
  options: { interactive?: boolean } = {},
): Promise<string | null> {
  const { config, logger } = platform;
  if (!config.auth.enabled) return null;
  const given = config.auth.adminApiKey;
  if (given) {
    const { status, rotated } = await platform.apiKeys.ensure(given, ADMIN_KEY_NAME, 'admin');
    if (rotated.length > 0) {
      logger.warn(
        { revoked: rotated.map((k) => k.prefix) },
        'ADMIN_API_KEY changed: the keys it replaced are revoked',
      );
    }
    if (status === 'revoked') {
      logger.error(
        { prefix: given.split('_')[1] },
        'ADMIN_API_KEY was revoked and stays revoked: it grants nothing. Set a new key in ADMIN_API_KEY (other admin keys keep working)',
      );
      return null;
    }
    return given;
  }
  const created = await platform.apiKeys.createFirstAdmin('admin (first start)');
  if (!created) return null;
  if (options.interactive ?? Boolean(process.stdout.isTTY)) {
    print('');
    print('  An admin API key was created. It is shown only this once; keep it safe:');
    print(`    ${created.key}`);
    print('  Send it as "Authorization: Bearer <key>". Create more with `automl-stream keys create`.');
    print('');
    return created.key;
  }
  const file = adminKeyFile(platform);
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, `${created.key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // A key nobody can read is no key: take it back, so the next start tries again.
    await platform.apiKeys.revoke({ id: created.record.id });
    logger.error(
      { err: error, file },
      'could not write the first admin key; set ADMIN_API_KEY, or create a key with `automl-stream keys create`',
    );
    return null;
  }
  print(`  An admin API key was created and written to ${file} (mode 600): stdout is not a terminal.`);
  return created.key;
}
