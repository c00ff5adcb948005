import type { Platform } from '@automl-stream/core';

/**
 * With authentication on, makes sure an admin can get in: ADMIN_API_KEY is registered when given;
 * otherwise, on the very first start, an admin key is created and printed once (it is stored only
 * as a hash).
 */
export async function ensureAdminKey(
  platform: Platform,
  print: (line: string) => void,
): Promise<string | null> {
  if (!platform.config.auth.enabled) return null;
  if (platform.config.auth.adminApiKey) {
    await platform.apiKeys.ensure(platform.config.auth.adminApiKey, 'admin (ADMIN_API_KEY)', 'admin');
    return platform.config.auth.adminApiKey;
  }
  if (await platform.apiKeys.hasAdmin()) return null;
  const { key } = await platform.apiKeys.create('admin (first start)', 'admin');
  print('');
  print('  An admin API key was created. It is shown only this once; keep it safe:');
  print(`    ${key}`);
  print('  Send it as "Authorization: Bearer <key>". Create more with `automl-stream keys create`.');
  print('');
  return key;
}
