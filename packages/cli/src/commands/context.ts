import type { MasterTaskKind } from '@media-vault/contracts';
import type { TaskClient } from '@media-vault/task-client';
import type { GlobalOptions, Invocation } from '../cli.js';
import { watchTasks, type WatchPlan } from '../event-watcher.js';
import { ExitCode } from '../exit-codes.js';
import { createProgressDisplay } from '../progress.js';
import { trackTasks, type TrackResult } from '../task-tracker.js';
import { isFailed, type TaskView } from '../task-view.js';

export interface Terminal {
  /** Data: tables, or JSON with --json. */
  readonly stdout: NodeJS.WritableStream;
  /** People: progress, notes, errors. */
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** What every command gets: the API as the caller, the options, and where to write. */
export interface CommandContext {
  readonly api: TaskClient;
  readonly global: GlobalOptions;
  /** Aborts on --timeout (reason: CliError timeout) or Ctrl-C (reason: CliError interrupted). */
  readonly signal: AbortSignal;
  print(text: string): void;
  printJson(value: unknown): void;
  note(text: string): void;
  /**
   * Follows tasks to their end with a progress display on stderr. Returns unfinished when the
   * signal aborted; the caller prints what it has and then throws `signal.reason`.
   */
  follow<K extends MasterTaskKind>(options: {
    plan: WatchPlan<K>;
    initial: readonly TaskView[];
    label: (view: TaskView) => string;
  }): Promise<TrackResult>;
}

export type CommandHandler<C extends Invocation['command']> = (
  ctx: CommandContext,
  invocation: Extract<Invocation, { command: C }>,
) => Promise<ExitCode>;

/** Exhaustive: adding a command to Invocation without a handler fails compilation. */
export type CommandHandlers = { [C in Invocation['command']]: CommandHandler<C> };

export function createContext(opts: {
  api: TaskClient;
  global: GlobalOptions;
  signal: AbortSignal;
  terminal: Terminal;
}): CommandContext {
  const { terminal, global, signal } = opts;
  const note = (text: string) => terminal.stderr.write(`vault: ${text}\n`);
  return {
    api: opts.api,
    global,
    signal,
    print: (text) => terminal.stdout.write(`${text}\n`),
    printJson: (value) => terminal.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note,
    async follow({ plan, initial, label }) {
      const display = createProgressDisplay({ stream: terminal.stderr, label });
      let fellBack = false;
      try {
        return await trackTasks({
          initial,
          display,
          follow: plan.follow,
          updates: watchTasks(plan, {
            natsUrl: global.nats,
            natsCreds: global.natsCreds,
            openEvents: (events) => opts.api.openEvents(events),
            signal,
            onFallback: (message) => {
              // Said once, however often the connection comes and goes.
              if (fellBack) return;
              fellBack = true;
              display.note(`vault: ${message}`);
            },
          }),
        });
      } finally {
        display.stop();
      }
    },
  };
}

/** 1 when any task ended in 9, else 0. */
export const exitCodeOf = (views: readonly TaskView[]): ExitCode =>
  views.some(isFailed) ? ExitCode.taskFailed : ExitCode.ok;

/** `YYYY-MM-DD HH:mm:ss` (UTC, as seed 000 writes times) to a Date; now if it does not parse. */
export function parseSeedTime(text: string): Date {
  const date = new Date(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? new Date() : date;
}

/** The earliest creation among tasks: where a replay of their events may start. */
export const earliestCreation = (records: readonly { created_at: string }[]): Date =>
  new Date(Math.min(Date.now(), ...records.map((r) => parseSeedTime(r.created_at).getTime())));
