/**
 * postgres.js, with the fix for a connection-loss bug of 3.4.9 applied as it loads.
 *
 * The bug (porsager/postgres#1208, #1154, #1066; fix proposed in PR #1209): small writes are
 * deferred with setImmediate, and
 * - a write issued while a connection's socket is gone (a transaction's ROLLBACK on a connection
 *   whose backend just died) throws `TypeError: Cannot read properties of null (reading 'write')`
 *   from the immediate, which no caller can catch: the process crashes;
 * - teardown (`closed()`, `terminate()`) cancels the pending immediate without forgetting it, so
 *   the connection slot never flushes a small write again: every later query on it waits for
 *   CONNECT_TIMEOUT, for minutes after the database is back.
 * Both happen whenever Postgres restarts under traffic. The fix makes `nextWrite` on a dead socket
 * reject the connection's queries with CONNECTION_CLOSED (catchable, retryable) and makes
 * teardown drop the pending write.
 *
 * It is applied to the CommonJS build of exactly postgres 3.4.9 when createDb loads it; any other
 * version loads untouched. Remove this file once the dependency carries the fix (a pnpm patch or
 * an upstream release): see docs/deployment-and-security.md, "Known driver issues".
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import type Postgres from 'postgres';

const PATCHED_VERSION = '3.4.9';

const FIXES: { find: string; replace: string }[] = [
  {
    find: '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)\n',
    replace:
      '  function nextWrite(fn) {\n' +
      '    if (socket === null) {\n' +
      '      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n' +
      '      chunk = nextWriteTimer = null\n' +
      "      error(Errors.connection('CONNECTION_CLOSED', options))\n" +
      '      return false\n' +
      '    }\n' +
      '    const x = socket.write(chunk, fn)\n',
  },
  {
    // terminate()
    find: '    clearImmediate(nextWriteTimer)\n    if (socket) {\n',
    replace: '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {\n',
  },
  {
    // closed()
    find: "    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)\n",
    replace:
      "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener('data', data)\n",
  },
];

interface InternalModule {
  filename: string;
  paths: string[];
  loaded: boolean;
  _compile(source: string, filename: string): void;
}
interface ModuleInternals {
  _nodeModulePaths(from: string): string[];
  new (id: string): InternalModule;
}

function loadPostgres(): typeof Postgres {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('postgres'); // the CommonJS build: cjs/src/index.js
  const packageJson = path.resolve(path.dirname(entry), '../../package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  if (version === PATCHED_VERSION) {
    const filename = path.join(path.dirname(entry), 'connection.js');
    let source = readFileSync(filename, 'utf8');
    for (const { find, replace } of FIXES) {
      if (source.split(find).length !== 2) {
        throw new Error(
          `postgres ${version}: ${filename} is not the file the connection fix was written for`,
        );
      }
      source = source.replace(find, replace);
    }
    const internals = Module as unknown as ModuleInternals;
    const patched = new internals(filename);
    patched.filename = filename;
    patched.paths = internals._nodeModulePaths(path.dirname(filename));
    // In the cache before it runs, as Node does, so index.js's require gets this copy.
    require.cache[filename] = patched as unknown as NodeJS.Module;
    patched._compile(source, filename);
    patched.loaded = true;
  }
  return require('postgres') as typeof Postgres;
}

/** The postgres.js factory every pool of the platform is built with (see createDb). */
export const postgres: typeof Postgres = loadPostgres();
