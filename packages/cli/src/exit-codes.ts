/**
 * The exit codes are the CLI's interface to scripts, so they live in one table: a script can tell
 * "a master failed" from "I typed it wrong" from "the platform did not answer" without parsing
 * text.
 */
export const ExitCode = {
  /** Every task the command waited for reached 8 (done), or there was nothing to wait for. */
  ok: 0,
  /** At least one task ended in 9 (error). */
  taskFailed: 1,
  /** `audit --verify`: the log does not verify (an entry edited, deleted or badly signed). */
  auditBroken: 1,
  /** The command line is wrong: unknown command or option, missing or malformed value. */
  usage: 2,
  /** The gateway or NATS refused or could not be reached; the server's `message` is printed. */
  api: 3,
  /** `--timeout` passed before every task finished. */
  timeout: 4,
  /** Interrupted (Ctrl-C) while waiting; the tasks go on, on the agents. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type CliErrorKind = 'usage' | 'api' | 'timeout' | 'interrupted';

/** An error that ends the command with its kind's exit code and a message for stderr. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly kind: CliErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get exitCode(): ExitCode {
    return ExitCode[this.kind];
  }
}

export const usageError = (message: string): CliError => new CliError('usage', message);
