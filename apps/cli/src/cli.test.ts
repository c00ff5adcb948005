import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';
import type { Command, CommandContext } from './command.ts';
import { CliError, UsageError } from './errors.ts';

function fakeIo(env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env,
    },
    out: () => stdout,
    err: () => stderr,
  };
}

/** Runs the real commands' parser without running anything that needs a platform. */
async function cli(args: string[], list?: Command[], env: Record<string, string> = {}) {
  const { io, out, err } = fakeIo(env);
  const code = await runCli(args, io, new AbortController().signal, list);
  return { code, stdout: out(), stderr: err() };
}

/** A command that records what it was given and answers with `result`. */
function probe(result: () => unknown) {
  const seen: Pick<CommandContext, 'flags' | 'positionals' | 'json'>[] = [];
  const command: Command = {
    name: 'probe',
    summary: 'records its flags',
    usage: 'probe <file.csv> [extra] [options]',
    details: 'More about the probe.',
    options: {
      'no-demo': { type: 'boolean', description: 'no demo' },
      rate: { type: 'string', value: '<rows/s>', description: 'a rate' },
      output: { type: 'string', short: 'o', value: '<out.csv>', description: 'where' },
    },
    arguments: ['<file.csv>', '[extra]'],
    usesApi: true,
    hasJson: true,
    async run({ flags, positionals, json }) {
      seen.push({ flags, positionals, json });
      return result();
    },
  };
  return { command, seen };
}

describe('runCli', () => {
  it('shows the help: exit 0 when asked for, exit 2 on stderr when no command is given', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toMatch(/^Usage: automl-stream <command> \[options\]/);
      for (const name of [
        'start',
        'demo',
        'ingest',
        'predict',
        'models',
        'drift',
        'promote',
        'rollback',
        'pipelines',
        'keys',
      ])
        expect(run.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
      expect(run.stdout).toContain('Exit codes: 0 ok, 1 failure, 2 usage');
    }
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^Usage: automl-stream <command> \[options\]/);
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("shows a command's help with its usage, options and details", async () => {
    for (const args of [
      ['ingest', '--help'],
      ['help', 'ingest'],
    ]) {
      const run = await cli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: automl-stream ingest <file\.csv> \[options\]\n\nstream a CSV file/);
      expect(run.stdout).toMatch(/^ {2}--label-column <name> +column holding the class/m);
      expect(run.stdout).toMatch(/^ {2}--json +machine-readable JSON on stdout/m);
      expect(run.stdout).toMatch(/^ {2}--api-key <key> +API key/m);
      expect(run.stdout).toContain('Batch ids derive from the file');
    }
    expect((await cli(['start', '--help'])).stdout).toMatch(/^ {2}--no-demo +start without the demo stream/m);
  });

  it('turns every usage error into one line, a pointer to the help, and exit 2', async () => {
    const cases: [string[], string][] = [
      [
        ['frobnicate'],
        'unknown command "frobnicate" (commands: start, demo, ingest, predict, feedback, models, drift, promote, rollback, pipelines, keys)',
      ],
      [['modles'], 'unknown command "modles": did you mean models? (commands: start, demo,'],
      [['models', '--limt', '3'], "unknown option '--limt' (did you mean --limit?)"],
      [['ingest'], "missing required argument 'file.csv'"],
      [['ingest', 'a.csv', 'b.csv'], "too many arguments for 'ingest'. Expected 1 argument but got 2."],
      [['models', '--limit'], "option '--limit <n>' argument missing"],
      [['models', '--limit', 'lots'], '--limit must be a whole number (got "lots")'],
      [['demo', '--stream', 'nope'], '--stream must be one of sea, hyperplane, covariate (got "nope")'],
      [['ingest', 'x.csv', '--delimiter', ';;'], '--delimiter: the CSV delimiter must be one character'],
      [
        ['models', '--pipeline', 'Fraud'],
        '--pipeline "Fraud" is not a pipeline name: 1 to 63 lowercase letters, digits, "-" and "_", starting with a letter or digit',
      ],
      [['ingest', 'x.csv', '--pipeline', ''], '--pipeline "" is not a pipeline name'],
      [
        ['pipelines', 'nuke', 'a'],
        'unknown pipelines action "nuke": use list, create, show, configure, archive, restore',
      ],
      [['pipelines', 'create'], 'pipelines create needs a pipeline name'],
      [['pipelines', 'show', 'a b'], 'pipeline "a b" is not a pipeline name'],
      [['pipelines', 'list', 'a'], 'pipelines list takes no name (got "a"); see pipelines show'],
      [['pipelines', 'list', '--set', 'A=1'], '--set goes with pipelines create or configure, not list'],
      [
        ['pipelines', 'archive', 'a', '--schema', 's.json'],
        '--schema goes with pipelines create, not archive',
      ],
      [
        ['pipelines', 'create', '--set', 'WINDOW_SIZE=5', 'a'],
        '--set takes KEY=VALUE pairs such as WINDOW_SIZE=500 (got "a"; the pipeline name goes before --set)',
      ],
      [['pipelines', 'create', 'a', '--set', 'WINDOW_SIZE='], '--set WINDOW_SIZE= needs a value'],
      [['pipelines', 'configure', 'a'], 'pipelines configure needs --set KEY=VALUE or --unset KEY'],
      [['keys', 'create', 'k', '--pipelines', 'a,B'], '--pipelines: "B" is not a pipeline name'],
      [['keys', 'create', 'k', '--pipelines', ' , '], '--pipelines needs at least one pipeline name'],
      [['keys', 'list', '--pipelines', 'a'], '--pipelines goes with keys create'],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      const [first, second, ...rest] = run.stderr.split('\n');
      expect(first).toContain(`error: ${message}`);
      const command = ['frobnicate', 'modles'].includes(args[0]!) ? '' : `${args[0]} `;
      expect(second).toBe(`(see \`automl-stream ${command}--help\`)`);
      expect(rest).toEqual(['']);
    }
  });

  it('hands the command its flags by their declared names, and its positional arguments', async () => {
    const { command, seen } = probe(() => undefined);
    const run = await cli(
      ['probe', 'in.csv', '--no-demo', '--rate=5', '-o', 'out.csv', '--json', '--url', 'h:1'],
      [command],
    );
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(seen[0]).toEqual({
      flags: { 'no-demo': true, rate: '5', output: 'out.csv', json: true, url: 'h:1', 'api-key': undefined },
      positionals: ['in.csv'],
      json: true,
    });
    // Options anywhere, an optional second argument, and the `--` that `pnpm start --` passes on.
    await cli(['--', 'probe', '--', '-oout.csv', 'in.csv', 'more'], [command]);
    expect(seen[1]).toMatchObject({
      flags: { 'no-demo': undefined, rate: undefined, output: 'out.csv', json: undefined },
      positionals: ['in.csv', 'more'],
      json: false,
    });
  });

  it('hands pipeline commands --pipeline, else AUTOML_PIPELINE, else "default"; list options as arrays', async () => {
    const seen: Pick<CommandContext, 'pipeline' | 'flags'>[] = [];
    const command: Command = {
      name: 'probe',
      summary: 'records its pipeline',
      usage: 'probe [options]',
      options: { set: { type: 'list', value: '<KEY=VALUE>', description: 'pairs' } },
      usesApi: true,
      usesPipeline: true,
      hasJson: false,
      async run({ pipeline, flags }) {
        seen.push({ pipeline, flags });
      },
    };
    await cli(['probe'], [command]);
    await cli(['probe'], [command], { AUTOML_PIPELINE: 'fraud' });
    await cli(['probe', '--pipeline', 'churn-2', '--set', 'A=1', 'B=2', '--set', 'C=3'], [command], {
      AUTOML_PIPELINE: 'fraud',
    });
    expect(seen.map((s) => s.pipeline)).toEqual(['default', 'fraud', 'churn-2']);
    expect(seen[2]!.flags.set).toEqual(['A=1', 'B=2', 'C=3']);
    const bad = await cli(['probe'], [command], { AUTOML_PIPELINE: 'No Such' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: AUTOML_PIPELINE "No Such" is not a pipeline name/);
    expect(seen).toHaveLength(3);
    // Commands that do not work on one pipeline neither take --pipeline nor read AUTOML_PIPELINE.
    const keys = await cli(['keys', '--pipeline', 'a', 'list']);
    expect(keys.stderr).toMatch(/^error: unknown option '--pipeline'/);
  });

  it("returns the command's exit code, and each failure as one line with its code", async () => {
    const interrupted = probe(() => 130);
    expect((await cli(['probe', 'x'], [interrupted.command])).code).toBe(130);

    const refused = probe(() => {
      throw new CliError('no such model');
    });
    expect(await cli(['probe', 'x'], [refused.command])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: no such model\n',
    });
    const misused = probe(() => {
      throw new UsageError('--rate must be positive');
    });
    expect(await cli(['probe', 'x'], [misused.command])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --rate must be positive\n(see `automl-stream probe --help`)\n',
    });
    const badUrl = await cli(['probe', 'x', '--url', 'ftp://nowhere'], [probe(() => 0).command]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/^error: --url must be an http:\/\/ or https:\/\/ URL/);
  });
});
