import { createRequire } from 'node:module';
import { createNodeClient, type NodeClient } from '@automl-stream/sdk/node.ts';
import { CommanderError, Option, Command as Program } from 'commander';
import WebSocket from 'ws';
import type { Command, CommandContext, Io, OptionSpec } from './command.ts';
import { demoCommand } from './commands/demo.ts';
import { driftCommand } from './commands/drift.ts';
import { feedbackCommand } from './commands/feedback.ts';
import { ingestCommand } from './commands/ingest.ts';
import { keysCommand } from './commands/keys.ts';
import { modelsCommand } from './commands/models.ts';
import { pipelinesCommand } from './commands/pipelines.ts';
import { predictCommand } from './commands/predict.ts';
import { promoteCommand, rollbackCommand } from './commands/promote.ts';
import { startCommand } from './commands/start-command.ts';
import { describeError, EXIT, UsageError } from './errors.ts';
import { readClientSettings, readPipeline } from './settings.ts';

export const commands: Command[] = [
  startCommand,
  demoCommand,
  ingestCommand,
  predictCommand,
  feedbackCommand,
  modelsCommand,
  driftCommand,
  promoteCommand,
  rollbackCommand,
  pipelinesCommand,
  keysCommand,
];

const apiOptions: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    value: '<url>',
    description: 'GraphQL URL of the platform (env AUTOML_URL; default http://127.0.0.1:4000/graphql)',
  },
  'api-key': { type: 'string', value: '<key>', description: 'API key (env AUTOML_API_KEY)' },
};
const pipelineOption: Record<string, OptionSpec> = {
  pipeline: {
    type: 'string',
    value: '<name>',
    description: 'the pipeline to work on (env AUTOML_PIPELINE; default "default")',
  },
};
const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'machine-readable JSON on stdout' },
};

function optionsOf(command: Command): Record<string, OptionSpec> {
  return {
    ...command.options,
    ...(command.usesPipeline ? pipelineOption : {}),
    ...(command.hasJson ? jsonOption : {}),
    ...(command.usesApi ? apiOptions : {}),
  };
}

const MAIN_HELP_AFTER = `
Every command takes --help. Commands that talk to a platform take --url and --api-key, or read
AUTOML_URL and AUTOML_API_KEY; those that work on one pipeline take --pipeline, or read
AUTOML_PIPELINE (default "default"); read commands take --json.
Exit codes: 0 ok, 1 failure, 2 usage, 130 interrupted.
`;

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** What the command being run leaves behind for runCli. */
interface Run {
  command?: Command;
  exitCode: number;
  client: NodeClient | null;
  apiKeyGiven: boolean;
  file?: string;
}

/**
 * The commander program: one sub-command per `Command`, help and usage errors written to `io`,
 * and errors thrown (exitOverride) instead of calling process.exit.
 */
function buildProgram(io: Io, signal: AbortSignal, run: Run, list: Command[]): Program {
  const program = new Program('automl-stream')
    .description('A live ML pipeline: ingest, predict, drift detection, automatic retraining and promotion.')
    .usage('<command> [options]')
    .version(version, '-V, --version', 'print the version')
    // The program's own options (-V) only before a command: `models --version 3` is the command's.
    .enablePositionalOptions()
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show the help of a command')
    .addHelpText('after', MAIN_HELP_AFTER)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Errors are written by runCli, in the CLI's one-line format.
      outputError: () => {},
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    })
    .exitOverride();
  for (const command of list) addCommand(program, command, io, signal, run);
  return program;
}

function addCommand(program: Program, command: Command, io: Io, signal: AbortSignal, run: Run): void {
  const sub = program
    .command(command.name)
    .summary(command.summary)
    .description(command.summary)
    .usage(command.usage.replace(/^\S+\s*/, ''));
  if (command.details) sub.addHelpText('after', `\n${command.details.trimEnd()}\n`);
  for (const name of command.arguments ?? []) sub.argument(name);
  const options = Object.entries(optionsOf(command)).map(([name, spec]) => {
    const placeholder = spec.value ?? '<value>';
    const takes =
      spec.type === 'string'
        ? ` ${placeholder}`
        : spec.type === 'list'
          ? ` ${placeholder.replace(/>$/, '...>')}`
          : '';
    const option = new Option(`${spec.short ? `-${spec.short}, ` : ''}--${name}${takes}`, spec.description);
    sub.addOption(option);
    return [name, option] as const;
  });
  sub.action(async (...args: unknown[]) => {
    const parsed = args.at(-1) as Program;
    const values = parsed.opts();
    // Our commands read their flags by the names they declared: `--no-demo` is flags['no-demo'],
    // not commander's negated `demo`.
    const flags: CommandContext['flags'] = {};
    for (const [name, option] of options) {
      const value = values[option.attributeName()] as string | boolean | string[] | undefined;
      flags[name] = option.negate ? (value === false ? true : undefined) : value;
    }
    const positionals = (parsed.processedArgs as (string | undefined)[]).filter(
      (arg): arg is string => arg !== undefined,
    );
    // Named in CSV and file errors (ingest, predict).
    run.file = positionals[0];
    const settings = readClientSettings(
      { url: flags.url as string | undefined, 'api-key': flags['api-key'] as string | undefined },
      io.env,
    );
    run.apiKeyGiven = settings.apiKey !== null;
    const pipeline = command.usesPipeline
      ? readPipeline(flags.pipeline as string | undefined, io.env)
      : 'default';
    const code = await command.run({
      io,
      positionals,
      flags,
      pipeline,
      json: flags.json === true,
      settings,
      client: () => {
        run.client ??= createNodeClient({
          url: settings.url,
          apiKey: settings.apiKey,
          webSocketImpl: WebSocket,
        });
        return run.client;
      },
      signal,
    });
    run.exitCode = typeof code === 'number' ? code : EXIT.ok;
  });
}

/** A commander usage error as ours: one line (its "Did you mean" hint folded in), exit code 2. */
function usageError(error: CommanderError, argv: string[], run: Run, list: Command[]): UsageError {
  const [first, ...hints] = error.message.replace(/^error: /, '').split('\n');
  const hint = hints.map((h) => h.replace(/^\((.*)\)$/, '$1')).join(' ');
  if (error.code === 'commander.unknownCommand') {
    const names = list.map((c) => c.name).join(', ');
    return new UsageError(
      `unknown command ${JSON.stringify(argv[0])}${hint ? `: ${hint.replace(/^Did/, 'did')}` : ''} (commands: ${names})`,
    );
  }
  return new UsageError(`${first}${hint ? ` (${hint.replace(/^Did/, 'did')})` : ''}`, run.command?.name);
}

/**
 * Runs one command line and returns its exit code. Every failure becomes one readable line on
 * stderr (`error: <CODE>: <message>` for server errors); nothing is thrown.
 */
export async function runCli(
  argv: string[],
  io: Io,
  signal: AbortSignal,
  /** The commands on offer (tests pass their own). */
  list: Command[] = commands,
): Promise<number> {
  // `pnpm start -- --no-demo` may hand over the `--` itself, before or after the command name.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  if (args[1] === '--') args.splice(1, 1);
  const run: Run = {
    command: list.find((c) => c.name === args[0]),
    exitCode: EXIT.ok,
    client: null,
    apiKeyGiven: false,
  };
  try {
    await buildProgram(io, signal, run, list).parseAsync(args, { from: 'user' });
    return run.exitCode;
  } catch (caught) {
    let error = caught;
    if (error instanceof CommanderError) {
      // --help, --version and `help`: shown, exit 0; the help shown for a missing command: exit 2.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      error = usageError(error, args, run, list);
    }
    if (error instanceof UsageError && !error.command && run.command)
      error = new UsageError(error.message, run.command.name);
    const { text, exitCode } = describeError(error, {
      apiKeyGiven: run.apiKeyGiven,
      debug: io.env.AUTOML_DEBUG === '1',
      ...(run.file ? { file: run.file } : {}),
    });
    io.stderr.write(`${text}\n`);
    return exitCode;
  } finally {
    await run.client?.close();
  }
}
