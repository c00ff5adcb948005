import type { Command, CommandContext, Io } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import type { KeyStore } from '../local/keys.ts';
import { formatTable, printJson, timestamp } from '../output.ts';
import { checkPipelineName } from '../settings.ts';

/** As in @automl-stream/core (loaded only when the command runs: it brings the database driver). */
const API_KEY_ROLES = ['admin', 'writer', 'reader'] as const;
type Role = (typeof API_KEY_ROLES)[number];

const iso = (d: Date | null) => (d ? d.toISOString() : null);

type Action = 'create' | 'list' | 'revoke';

/** `--pipelines a,b`: the names, checked and without repeats; null when absent (every pipeline). */
function parsePipelines(raw: CommandContext['flags'][string]): string[] | null {
  if (raw === undefined) return null;
  const names = String(raw)
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0)
    throw new UsageError('--pipelines needs at least one pipeline name, e.g. --pipelines fraud,churn');
  return [...new Set(names.map((name) => checkPipelineName(name, '--pipelines:')))].sort();
}

/** "fraud, churn", or "all" for a key not limited to pipelines. */
const pipelinesText = (pipelines: string[] | null) => (pipelines === null ? 'all' : pipelines.join(', '));

/** The action, its argument, the role and the pipelines, checked before the database is opened. */
function parseKeysArguments(
  positionals: string[],
  flags: CommandContext['flags'],
): { action: Action; argument: string | undefined; role: Role; pipelines: string[] | null } {
  const [action, positional] = positionals;
  const argument =
    positional ?? (action === 'create' && typeof flags.name === 'string' ? flags.name : undefined);
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(`unknown keys action ${JSON.stringify(action)}: use create, list or revoke`);
  }
  if (action === 'list' && argument !== undefined)
    throw new UsageError(`keys list takes no argument (got ${JSON.stringify(argument)})`);
  if (action !== 'list' && argument === undefined) {
    throw new UsageError(
      action === 'create'
        ? 'keys create needs a name, e.g. keys create "dashboard" --role reader'
        : 'keys revoke needs a key prefix or id (see keys list)',
    );
  }
  const role = (typeof flags.role === 'string' ? flags.role : 'reader') as Role;
  if (!API_KEY_ROLES.includes(role))
    throw new UsageError(
      `--role must be one of ${API_KEY_ROLES.join(', ')} (got ${JSON.stringify(flags.role)})`,
    );
  if (action !== 'create' && flags.pipelines !== undefined)
    throw new UsageError('--pipelines goes with keys create (a key is limited to pipelines when created)');
  return { action, argument, role, pipelines: parsePipelines(flags.pipelines) };
}

async function createKey(
  keys: KeyStore,
  request: { name: string; role: Role; pipelines: string[] | null },
  json: boolean,
  io: Io,
): Promise<void> {
  const { key, record } = await keys.create(request.name, request.role, undefined, request.pipelines);
  if (json)
    printJson(
      {
        key,
        id: record.id,
        name: record.name,
        role: record.role,
        pipelines: record.pipelines,
        prefix: record.prefix,
        createdAt: iso(record.createdAt),
      },
      io.stdout,
    );
  else {
    io.stdout.write(
      `created ${record.role} key ${JSON.stringify(record.name)} (prefix ${record.prefix}) for ${record.pipelines === null ? 'every pipeline' : `the pipelines ${pipelinesText(record.pipelines)}`}; it is shown only now:\n`,
    );
    io.stdout.write(`${key}\n`);
  }
}

async function listKeys(
  keys: KeyStore,
  all: CommandContext['flags'][string],
  json: boolean,
  io: Io,
): Promise<void> {
  const list = await keys.list(all === true);
  if (json) {
    printJson(
      list.map((k) => ({
        id: k.id,
        name: k.name,
        role: k.role,
        pipelines: k.pipelines,
        prefix: k.prefix,
        createdAt: iso(k.createdAt),
        lastUsedAt: iso(k.lastUsedAt),
        revokedAt: iso(k.revokedAt),
      })),
      io.stdout,
    );
    return;
  }
  if (list.length === 0) {
    io.stdout.write('no API keys\n');
    return;
  }
  io.stdout.write(
    formatTable(
      [
        'id',
        'prefix',
        'role',
        'pipelines',
        'name',
        'created (UTC)',
        'last used (UTC)',
        ...(all ? ['revoked (UTC)'] : []),
      ],
      list.map((k) => [
        k.id,
        k.prefix,
        k.role,
        pipelinesText(k.pipelines),
        k.name,
        timestamp(iso(k.createdAt)),
        timestamp(iso(k.lastUsedAt)),
        ...(all ? [timestamp(iso(k.revokedAt))] : []),
      ]),
    ),
  );
}

async function revokeKey(
  keys: KeyStore,
  argument: string,
  authEnabled: boolean,
  json: boolean,
  io: Io,
): Promise<void> {
  // revoke: by id (digits) or by prefix; never without a match (an empty match would revoke all).
  const match = /^\d+$/.test(argument)
    ? { id: Number(argument) }
    : { prefix: argument.replace(/^ams_/, '').slice(0, 8) };
  const active = await keys.list(false);
  const targets = active.filter((k) => ('id' in match ? k.id === match.id : k.prefix === match.prefix));
  if (targets.length === 0)
    throw new CliError(
      `no active key with ${'id' in match ? `id ${match.id}` : `prefix ${match.prefix}`} (see keys list)`,
    );
  const adminsLeft = active.filter((k) => k.role === 'admin' && !targets.includes(k)).length;
  if (authEnabled && adminsLeft === 0) {
    throw new CliError(
      'that is the last active admin key: create another admin key first, or nobody could administer the platform',
    );
  }
  const revoked = await keys.revoke(match);
  if (json)
    printJson(
      revoked.map((k) => ({
        id: k.id,
        name: k.name,
        role: k.role,
        prefix: k.prefix,
        revokedAt: iso(k.revokedAt),
      })),
      io.stdout,
    );
  else
    for (const k of revoked)
      io.stdout.write(`revoked ${k.role} key ${JSON.stringify(k.name)} (prefix ${k.prefix})\n`);
}

/**
 * API keys live in the platform's database and have no GraphQL API (a key that can mint keys over
 * the network is a liability), so this is the one command that talks to the database directly
 * (through src/local/keys.ts and core's ApiKeys) rather than through the SDK. It finds the database the
 * way the platform does: DATABASE_URL, else the embedded Postgres under DATA_DIR.
 */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'create, list and revoke API keys (talks to the database: DATABASE_URL or DATA_DIR)',
  usage:
    'keys create <name> [--role admin|writer|reader] [--pipelines a,b] | keys list [--all] | keys revoke <prefix|id>',
  details: [
    'Roles: admin (everything) ⊃ writer (ingest, predict, feedback, drift checks) ⊃ reader (queries, subscriptions).',
    'A key is shown once, at creation; the platform stores only its hash. Keys are named in listings by their',
    'prefix (the 8 characters after "ams_"). Revocation takes effect within 5 seconds on every server.',
    'A key created with --pipelines may use only those pipelines (by name; they need not exist yet):',
    'a request for any other is refused with FORBIDDEN. Without it, a key may use every pipeline.',
    '',
    'This command reaches the database the way the platform does: DATABASE_URL when set, otherwise the',
    'embedded Postgres under DATA_DIR (default .data; the demo of `start` uses .data/demo).',
  ].join('\n'),
  options: {
    role: {
      type: 'string',
      value: '<role>',
      description: 'keys create: admin, writer or reader (default reader)',
    },
    name: { type: 'string', value: '<name>', description: 'keys create: the name (instead of the argument)' },
    pipelines: {
      type: 'string',
      value: '<a,b>',
      description: 'keys create: limit the key to these pipelines (comma-separated; default: every pipeline)',
    },
    all: { type: 'boolean', description: 'keys list: include revoked keys' },
  },
  arguments: ['<action>', '[argument]'],
  usesApi: false,
  hasJson: true,
  async run({ positionals, flags, json, io }) {
    const { action, argument, role, pipelines } = parseKeysArguments(positionals, flags);
    const { loadConfig } = await import('@automl-stream/config');
    const config = loadConfig(io.env);
    const { openKeyStore } = await import('../local/keys.ts');
    const store = await openKeyStore(config);
    try {
      const { keys } = store;
      if (action === 'create') await createKey(keys, { name: argument!, role, pipelines }, json, io);
      else if (action === 'list') await listKeys(keys, flags.all, json, io);
      else await revokeKey(keys, argument!, config.auth.enabled, json, io);
    } finally {
      await store.close();
    }
  },
};
