import { envDefaults } from './config.js';
import { CliError, ExitCode } from './exit-codes.js';
import { runCli } from './run.js';

/** The process: wires Ctrl-C and exits with the command's code. */
async function main(): Promise<void> {
  const interrupt = new AbortController();
  process.on('SIGINT', () => {
    // The first Ctrl-C ends the wait with a summary; a second one does not wait for that.
    if (interrupt.signal.aborted) process.exit(ExitCode.interrupted);
    interrupt.abort(new CliError('interrupted', 'interrupted; the tasks go on, on the agents'));
  });
  const code = await runCli({
    argv: process.argv.slice(2),
    env: envDefaults(),
    terminal: { stdout: process.stdout, stderr: process.stderr },
    interrupt: interrupt.signal,
  });
  process.exitCode = code;
  // Everything is closed by now; should a socket linger, it must not hold the exit code back.
  setTimeout(() => process.exit(code), 2_000).unref();
}

await main();
