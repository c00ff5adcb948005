import {
  ArchivePipelineDocument,
  ConfigurePipelineDocument,
  CreatePipelineDocument,
  PipelineDocument,
  type PipelineFieldsFragment,
  PipelinesDocument,
} from '@automl-stream/sdk/node.ts';
import { type Command, type CommandContext, listFlag, stringFlag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { fixed, formatTable, printJson, timestamp } from '../output.ts';
import { checkPipelineName } from '../settings.ts';
import { readSchemaFile, toApi } from './table-typing.ts';

const ACTIONS = ['list', 'create', 'show', 'configure', 'archive', 'restore'] as const;
type Action = (typeof ACTIONS)[number];

/** Which options each action takes (the others are refused, not ignored). */
const TAKES: Record<string, Action[]> = {
  all: ['list'],
  schema: ['create'],
  set: ['create', 'configure'],
  unset: ['configure'],
};

type Settings = Record<string, string | number>;

/**
 * `--set WINDOW_SIZE=500 N_ESTIMATORS=50`: setting overrides by environment name (any case),
 * values as written (the platform checks them by the environment's rules).
 */
export function parseSetFlags(pairs: string[]): Settings {
  const settings: Settings = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) {
      throw new UsageError(
        `--set takes KEY=VALUE pairs such as WINDOW_SIZE=500 (got ${JSON.stringify(pair)}; the pipeline name goes before --set)`,
      );
    }
    const [, key, value] = match as unknown as [string, string, string];
    if (value.trim() === '')
      throw new UsageError(`--set ${key}= needs a value (pipelines configure --unset ${key} removes one)`);
    settings[key.toUpperCase()] = value.trim();
  }
  return settings;
}

/** "WINDOW_SIZE=500, N_ESTIMATORS=50", or what applies without overrides. */
export function settingsText(settings: unknown): string {
  const entries = Object.entries((settings ?? {}) as Settings).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0
    ? 'none (the environment gives every setting)'
    : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** The action and the pipeline name, checked (and the options it takes) before anything is sent. */
function parseArguments(positionals: string[], flags: CommandContext['flags']) {
  const [rawAction, name] = positionals;
  const action = rawAction as Action;
  if (!ACTIONS.includes(action))
    throw new UsageError(`unknown pipelines action ${JSON.stringify(rawAction)}: use ${ACTIONS.join(', ')}`);
  for (const [option, actions] of Object.entries(TAKES)) {
    const given = flags[option] !== undefined && flags[option] !== false;
    if (given && !actions.includes(action))
      throw new UsageError(`--${option} goes with pipelines ${actions.join(' or ')}, not ${action}`);
  }
  if (action === 'list') {
    if (name !== undefined)
      throw new UsageError(`pipelines list takes no name (got ${JSON.stringify(name)}); see pipelines show`);
    return { action, name: '' };
  }
  // `create --set A=1 fraud` reads "fraud" as a pair: say so rather than "needs a name".
  parseSetFlags(listFlag(flags, 'set'));
  if (name === undefined) throw new UsageError(`pipelines ${action} needs a pipeline name`);
  return { action, name: checkPipelineName(name, 'pipeline') };
}

async function list({ client, flags, json, io }: CommandContext): Promise<void> {
  const { pipelines } = await client().request(PipelinesDocument, { includeArchived: flags.all === true });
  if (json) {
    printJson(pipelines, io.stdout);
    return;
  }
  if (pipelines.length === 0) {
    io.stdout.write('no pipelines this key may use\n');
    return;
  }
  io.stdout.write(
    formatTable(
      ['name', 'attention', 'serving', 'accuracy', 'last check (UTC)', 'pending training'],
      pipelines.map((p) => [
        p.name,
        p.attention.toLowerCase().replace('_', ' '),
        p.servingVersion === null ? null : `v${p.servingVersion}`,
        fixed(p.accuracy),
        p.lastCheckAt ? `${timestamp(p.lastCheckAt)} ${p.lastVerdict?.toLowerCase() ?? ''}`.trim() : null,
        p.pendingTraining,
      ]),
      ['left', 'left', 'right', 'right', 'left', 'right'],
    ),
  );
}

/** What `show` prints: the state, the settings and the schema as a table. */
export function formatPipeline(p: PipelineFieldsFragment): string {
  const lines = [
    `pipeline  ${p.name}`,
    `state     ${p.archived ? `archived (since ${timestamp(p.archivedAt)} UTC)` : 'active'}; created ${timestamp(p.createdAt)} UTC`,
    `settings  ${settingsText(p.settings)}`,
  ];
  const schema = p.dataSchema;
  if (!schema)
    return `${lines.join('\n')}\nschema    none yet (the first ingest declares it, or pipelines create --schema)\n`;
  const label = schema.label;
  lines.push(
    `label     ${label.name} (${label.kind.toLowerCase()}${label.classes.length > 0 ? `; classes ${label.classes.join(', ')}${label.closed ? ', closed' : ''}` : ''})`,
  );
  const table = formatTable(
    ['column', 'type', 'nullable', 'categories'],
    schema.columns.map((c) => [
      c.name,
      c.type.toLowerCase(),
      c.nullable ? 'yes' : 'no',
      categoriesText(c.categories),
    ]),
  );
  return `${lines.join('\n')}\n\n${table}`;
}

/** The first categories of a column, and how many in all when there are more (--json has all). */
export function categoriesText(categories: readonly string[], shown = 12): string | null {
  if (categories.length === 0) return null;
  if (categories.length <= shown) return categories.join(', ');
  return `${categories.slice(0, shown).join(', ')}, … (${categories.length} in all; --json lists them)`;
}

async function create(name: string, { client, flags, json, io }: CommandContext): Promise<void> {
  const schemaFile = stringFlag(flags, 'schema');
  const settings = parseSetFlags(listFlag(flags, 'set'));
  const schema = schemaFile ? toApi(await readSchemaFile(schemaFile)) : undefined;
  const { createPipeline } = await client().request(CreatePipelineDocument, {
    input: { name, settings, ...(schema ? { schema } : {}) },
  });
  if (json) printJson(createPipeline, io.stdout);
  else
    io.stdout.write(
      `created pipeline "${createPipeline.name}"; settings: ${settingsText(createPipeline.settings)}; ` +
        `schema: ${createPipeline.dataSchema ? `${createPipeline.dataSchema.columns.length} columns, label "${createPipeline.dataSchema.label.name}"` : 'from the first ingest'}\n` +
        `use it with --pipeline ${createPipeline.name} (or AUTOML_PIPELINE=${createPipeline.name})\n`,
    );
}

/** Merges --set and --unset into the current overrides (configurePipeline replaces them all). */
async function configure(name: string, { client, flags, json, io }: CommandContext): Promise<void> {
  const set = parseSetFlags(listFlag(flags, 'set'));
  const unset = listFlag(flags, 'unset').map((key) => key.toUpperCase());
  if (Object.keys(set).length === 0 && unset.length === 0)
    throw new UsageError('pipelines configure needs --set KEY=VALUE or --unset KEY');
  const { pipeline } = await client().request(PipelineDocument, { name });
  const settings: Settings = { ...(pipeline.settings as Settings), ...set };
  for (const key of unset) delete settings[key];
  const { configurePipeline } = await client().request(ConfigurePipelineDocument, { name, settings });
  if (json) printJson(configurePipeline, io.stdout);
  else io.stdout.write(`pipeline "${name}" settings: ${settingsText(configurePipeline.settings)}\n`);
}

async function archive(name: string, archived: boolean, { client, json, io }: CommandContext): Promise<void> {
  const { archivePipeline } = await client().request(ArchivePipelineDocument, { name, archived });
  if (json) printJson(archivePipeline, io.stdout);
  else
    io.stdout.write(
      archived
        ? `archived pipeline "${name}": no more ingest, predictions or jobs; its data stays readable (pipelines restore ${name} undoes it)\n`
        : `restored pipeline "${name}": it takes ingest and predictions again\n`,
    );
}

export const pipelinesCommand: Command = {
  name: 'pipelines',
  summary: 'list, create, show, configure, archive and restore pipelines',
  usage:
    'pipelines list [--all] | pipelines create <name> [--schema schema.json] [--set KEY=VALUE ...] | pipelines show <name> | pipelines configure <name> --set KEY=VALUE ... [--unset KEY ...] | pipelines archive <name> | pipelines restore <name>',
  details: [
    'A pipeline is a named data set with its own schema, settings, model registry, drift checks, training',
    'jobs and events; the other commands work on one with --pipeline (or AUTOML_PIPELINE; default "default").',
    'Names: 1 to 63 lowercase letters, digits, "-" and "_", starting with a letter or digit.',
    '',
    'list       every pipeline the key may use, most urgent first (--all: archived ones too)',
    'create     a new pipeline (admin key); --schema declares its table up front (as ingest --schema),',
    '           --set overrides settings by their environment names: WINDOW_SIZE=500 N_ESTIMATORS=50 ...',
    '           (the environment gives the rest); ingest into an unknown pipeline creates it too',
    '           unless the platform runs with AUTO_CREATE_PIPELINES=false',
    'show       its state, settings overrides and schema',
    'configure  change settings overrides (admin key): --set adds or replaces, --unset removes',
    'archive    stop its ingest, predictions and jobs (admin key); the data stays readable',
    'restore    undo archive',
  ].join('\n'),
  options: {
    all: { type: 'boolean', description: 'list: include archived pipelines' },
    schema: {
      type: 'string',
      value: '<schema.json>',
      description: 'create: declare the table: {"columns":[{"name","type"}],"label":"class"}',
    },
    set: {
      type: 'list',
      value: '<KEY=VALUE>',
      description: 'create, configure: setting overrides by environment name, e.g. WINDOW_SIZE=500',
    },
    unset: { type: 'list', value: '<KEY>', description: 'configure: drop these overrides' },
  },
  arguments: ['<action>', '[name]'],
  usesApi: true,
  hasJson: true,
  async run(context) {
    const { action, name } = parseArguments(context.positionals, context.flags);
    if (action === 'list') return list(context);
    if (action === 'create') return create(name, context);
    if (action === 'configure') return configure(name, context);
    if (action === 'archive' || action === 'restore') return archive(name, action === 'archive', context);
    const { pipeline } = await context.client().request(PipelineDocument, { name });
    if (context.json) printJson(pipeline, context.io.stdout);
    else context.io.stdout.write(formatPipeline(pipeline));
  },
};
