// The `automl-stream` command: `pnpm cli <command>`, or the workspace bin (apps/cli/bin).
import { runCli } from './cli.ts';
import { onShutdownSignal } from './signals.ts';

const controller = new AbortController();
// Under `pnpm start` one Ctrl-C arrives twice within milliseconds: the terminal signals every
// process of the foreground group, and pnpm passes its own on to its child. A repeat this soon is
// that same keypress, not a second one.
const SAME_KEYPRESS_MS = 1000;
let interruptedAt: number | null = null;
onShutdownSignal((signal) => {
  // First Ctrl-C: stop cleanly (commands watch the signal). A second one: leave now.
  if (interruptedAt === null) {
    interruptedAt = performance.now();
    controller.abort(new Error(`received ${signal}`));
  } else if (performance.now() - interruptedAt > SAME_KEYPRESS_MS) {
    process.exit(130);
  }
});

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  controller.signal,
);
// Exit explicitly: a socket in its close handshake must not keep a command alive once it has
// answered. stdout and stderr are synchronous for files and pipes.
process.exit(code);
