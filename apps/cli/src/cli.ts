import { parseArgs } from 'node:util';
import { createNodeClient, type NodeClient } from '@automl-stream/sdk/node.ts';
import WebSocket from 'ws';
import type { Command, CommandContext, Io, OptionSpec } from './command.ts';
import { demoCommand } from './commands/demo.ts';
import { driftCommand } from './commands/drift.ts';
import { ingestCommand } from './commands/ingest.ts';
import { keysCommand } from './commands/keys.ts';
import { modelsCommand } from './commands/models.ts';
import { predictCommand } from './commands/predict.ts';
import { promoteCommand, rollbackCommand } from './commands/promote.ts';
import { startCommand } from './commands/start-command.ts';
import { describeError, EXIT, UsageError } from './errors.ts';
import { readClientSettings } from './settings.ts';

export const commands: Command[] = [
  startCommand,
  demoCommand,
  ingestCommand,
  predictCommand,
  modelsCommand,
  driftCommand,
  promoteCommand,
  rollbackCommand,
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
const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'machine-readable JSON on stdout' },
};
const helpOption: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

function optionsOf(command: Command): Record<string, OptionSpec> {
  return {
    ...command.options,
    ...(command.hasJson ? jsonOption : {}),
    ...(command.usesApi ? apiOptions : {}),
    ...helpOption,
  };
}

function formatOptions(options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`,
    spec.description,
  ]);
  const width = Math.max(...rows.map(([left]) => left!.length));
  return rows.map(([left, right]) => `  ${left!.padEnd(width)}  ${right}`).join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `usage: automl-stream ${command.usage}`,
    '',
    command.summary,
    ...(command.details ? ['', command.details.trimEnd()] : []),
    '',
    'options:',
    formatOptions(optionsOf(command)),
    '',
  ].join('\n');
}

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: automl-stream <command> [options]',
    '',
    'A live ML pipeline: ingest, predict, drift detection, automatic retraining and promotion.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Every command takes --help. Commands that talk to a platform take --url and --api-key, or read',
    'AUTOML_URL and AUTOML_API_KEY; read commands take --json. Exit codes: 0 ok, 1 failure, 2 usage.',
    '',
  ].join('\n');
}

/**
 * Runs one command line and returns its exit code. Every failure becomes one readable line on
 * stderr (`error: <CODE>: <message>` for server errors); nothing is thrown.
 */
export async function runCli(argv: string[], io: Io, signal: AbortSignal): Promise<number> {
  // `pnpm start -- --no-demo` may hand over the `--` itself.
  const [name, ...afterName] = argv[0] === '--' ? argv.slice(1) : argv;
  const rest = afterName[0] === '--' ? afterName.slice(1) : afterName;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const { text } = describeError(
      new UsageError(
        `unknown command ${JSON.stringify(name)} (commands: ${commands.map((c) => c.name).join(', ')})`,
      ),
    );
    io.stderr.write(`${text}\n`);
    return EXIT.usage;
  }

  let client: NodeClient | null = null;
  let apiKeyGiven = false;
  let file: string | undefined;
  try {
    const options = optionsOf(command);
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: rest,
        options: Object.fromEntries(
          Object.entries(options).map(([key, spec]) => [
            key,
            { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
          ]),
        ),
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw new UsageError(
        (error as Error).message.replace(/\. To specify a positional argument.*$/s, ''),
        command.name,
      );
    }
    const flags = parsed.values as CommandContext['flags'];
    if (flags.help) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    const [min, max] = command.positionals;
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new UsageError(
        parsed.positionals.length < min
          ? `missing argument: automl-stream ${command.usage}`
          : `unexpected argument ${JSON.stringify(parsed.positionals[max])}: automl-stream ${command.usage}`,
        command.name,
      );
    }
    file = parsed.positionals[0];
    const settings = readClientSettings(
      { url: flags.url as string | undefined, 'api-key': flags['api-key'] as string | undefined },
      io.env,
    );
    apiKeyGiven = settings.apiKey !== null;
    const context: CommandContext = {
      io,
      positionals: parsed.positionals,
      flags,
      json: flags.json === true,
      settings,
      client: () => {
        client ??= createNodeClient({ url: settings.url, apiKey: settings.apiKey, webSocketImpl: WebSocket });
        return client;
      },
      signal,
    };
    const code = await command.run(context);
    return typeof code === 'number' ? code : EXIT.ok;
  } catch (error) {
    const withCommand =
      error instanceof UsageError && !error.command ? new UsageError(error.message, command.name) : error;
    const { text, exitCode } = describeError(withCommand, {
      apiKeyGiven,
      debug: io.env.AUTOML_DEBUG === '1',
      ...(file ? { file } : {}),
    });
    io.stderr.write(`${text}\n`);
    return exitCode;
  } finally {
    await (client as NodeClient | null)?.close();
  }
}
