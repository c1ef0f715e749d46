import { TaskStatus, isFinishedStatus } from '@media-vault/contracts';
import cliProgress from 'cli-progress';
import stringWidth from 'string-width';
import { fit } from './table.js';
import { statusLabel, type TaskView } from './task-view.js';

/** Where the tasks' progress is shown while a command waits (stderr, so stdout stays data). */
export interface ProgressDisplay {
  /** A task's state changed (or is shown for the first time). */
  show(view: TaskView): void;
  /** A message that must not tear the bars apart. */
  note(message: string): void;
  /** Draw the last state and give the terminal back. */
  stop(): void;
}

export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** What a task is called on its line: the file name for uploads, the master's name otherwise. */
  readonly label: (view: TaskView) => string;
  /** Bars need a terminal; undefined: decide by whether the stream is one. */
  readonly interactive?: boolean;
}

const MAX_LABEL = 36;

const percentText = (view: TaskView): string =>
  view.percent === undefined ? '   ?%' : `${String(view.percent).padStart(4)}%`;

/** Download tasks also say where the private block they wait for is; failures say why. */
export function detail(view: TaskView): string {
  if (view.status === TaskStatus.error && view.reason) {
    return `${statusLabel(view.status)}: ${view.reason}`;
  }
  return view.privateStatus === undefined || isFinishedStatus(view.status)
    ? statusLabel(view.status)
    : `${statusLabel(view.status)} · private block ${statusLabel(view.privateStatus)}`;
}

/** One bar per task, redrawn in place: for people at a terminal. */
function barDisplay(opts: ProgressOptions): ProgressDisplay {
  const multibar = new cliProgress.MultiBar({
    stream: opts.stream,
    format: ' {label} {bar} {pct} {detail}',
    barsize: 24,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    clearOnComplete: false,
    // Long Chinese titles must not wrap: a wrapped line breaks the in-place redraw.
    linewrap: false,
    autopadding: false,
    // Ctrl-C is the CLI's to handle (it prints a summary); the bars are stopped there.
    gracefulExit: false,
  });
  const bars = new Map<string, { bar: cliProgress.SingleBar; label: string }>();
  let labelWidth = 0;
  let drawing = false;
  return {
    show(view) {
      const key = `${view.kind}:${view.id}`;
      const label = opts.label(view);
      const width = Math.min(MAX_LABEL, Math.max(labelWidth, stringWidth(label)));
      if (width !== labelWidth) {
        // A longer name arrived (following new tasks): keep the bars in one column.
        labelWidth = width;
        for (const b of bars.values()) b.bar.update({ label: fit(b.label, labelWidth) });
      }
      const payload = {
        label: fit(label, labelWidth),
        pct: percentText(view),
        detail: detail(view),
      };
      const value = view.percent ?? (view.status === TaskStatus.done ? 100 : 0);
      const known = bars.get(key);
      if (known) known.bar.update(value, payload);
      else bars.set(key, { bar: multibar.create(100, value, payload), label });
      drawing = true;
    },
    note(message) {
      // The multibar prints logged lines on its next redraw, which only happens while it draws.
      if (drawing) multibar.log(`${message}\n`);
      else opts.stream.write(`${message}\n`);
    },
    stop() {
      if (drawing) multibar.stop();
      drawing = false;
    },
  };
}

/** A line per change, for logs and pipes where bars would be control-character noise. */
function lineDisplay(opts: ProgressOptions): ProgressDisplay {
  const write = (text: string) => opts.stream.write(`${text}\n`);
  return {
    show(view) {
      const time = new Date().toISOString().slice(11, 19);
      const percent = view.percent === undefined ? '' : ` ${view.percent}%`;
      write(`${time} ${view.kind} task ${view.id} ${opts.label(view)}: ${detail(view)}${percent}`);
    },
    note: write,
    stop() {},
  };
}

export function createProgressDisplay(opts: ProgressOptions): ProgressDisplay {
  const interactive = opts.interactive ?? opts.stream.isTTY === true;
  return interactive ? barDisplay(opts) : lineDisplay(opts);
}
