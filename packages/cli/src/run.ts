import { TaskApiError, TaskClient } from '@media-vault/task-client';
import { parseCommandLine, type Invocation } from './cli.js';
import { createContext, type CommandHandler, type Terminal } from './commands/context.js';
import { handlers } from './commands/index.js';
import type { EnvDefaults } from './config.js';
import { CliError, ExitCode } from './exit-codes.js';
import packageJson from '../package.json' with { type: 'json' };

export interface RunOptions {
  readonly argv: readonly string[];
  readonly env: EnvDefaults;
  readonly terminal: Terminal;
  /** Aborted by the host on Ctrl-C (reason: an `interrupted` CliError). */
  readonly interrupt?: AbortSignal;
}

/** Runs one command line to its exit code; every failure is reported on stderr here. */
export async function runCli(opts: RunOptions): Promise<ExitCode> {
  const { terminal } = opts;
  const fail = (err: CliError) => {
    terminal.stderr.write(`vault: ${err.message}\n`);
    return err.exitCode;
  };
  let parsed;
  try {
    parsed = parseCommandLine(opts.argv, opts.env, packageJson.version);
  } catch (err) {
    if (err instanceof CliError) return fail(err);
    throw err;
  }
  if (parsed.kind === 'exit') {
    terminal.stdout.write(parsed.stdout);
    terminal.stderr.write(parsed.stderr);
    return parsed.code;
  }

  const { global, invocation } = parsed;
  const signals = [opts.interrupt];
  if (global.timeoutMs !== undefined) {
    const seconds = global.timeoutMs / 1000;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new CliError('timeout', `timed out after ${seconds} s`)),
      global.timeoutMs,
    );
    timer.unref();
    signals.push(deadline.signal);
  }
  const signal = AbortSignal.any(signals.filter((s) => s !== undefined));
  const api = new TaskClient({ baseUrl: global.api, token: global.token, signal });
  const ctx = createContext({ api, global, signal, terminal });
  try {
    // TypeScript cannot tie a handler to its invocation's tag through the union; the map's
    // type (CommandHandlers) is what guarantees they match.
    const handler = handlers[invocation.command] as CommandHandler<Invocation['command']>;
    return await handler(ctx, invocation as never);
  } catch (err) {
    if (err instanceof CliError) return fail(err);
    // The gateway refused or was not reached: the server's message, under the `api` exit code.
    if (err instanceof TaskApiError) return fail(new CliError('api', err.message, { cause: err }));
    // A bug, not a task's failure: exit 1 would tell a script the master failed.
    terminal.stderr.write(`vault: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return ExitCode.api;
  }
}
