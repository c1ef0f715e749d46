import { isFinishedStatus } from '@media-vault/contracts';
import type { TaskUpdate } from './event-watcher.js';
import type { ProgressDisplay } from './progress.js';
import type { TaskView } from './task-view.js';

export interface TrackOptions {
  /** The tasks as last read over HTTP: shown at once, then replaced by what the updates say. */
  readonly initial: readonly TaskView[];
  readonly updates: AsyncIterable<TaskUpdate>;
  readonly display: ProgressDisplay;
  /** Keep going once every task finished, taking tasks that appear later. */
  readonly follow?: boolean;
}

export interface TrackResult {
  /** Every task's last known state, in the order they were first seen. */
  readonly views: readonly TaskView[];
  /** True when every task reached 8 or 9; false when the updates ended first (deadline, Ctrl-C). */
  readonly finished: boolean;
}

const key = (view: TaskView) => `${view.kind}:${view.id}`;
const looksSame = (a: TaskView | undefined, b: TaskView) =>
  a !== undefined &&
  a.status === b.status &&
  a.percent === b.percent &&
  a.privateStatus === b.privateStatus &&
  a.hash === b.hash;

/**
 * Keeps the last state of each task from a stream of updates, shows every change, and stops
 * when all tasks are done or failed. Replayed (not yet current) updates are held back until the
 * replay catches up, so the display shows where a task is now rather than its history.
 */
export async function trackTasks(opts: TrackOptions): Promise<TrackResult> {
  const latest = new Map<string, TaskView>();
  const shown = new Map<string, TaskView>();
  const show = () => {
    for (const [k, view] of latest) {
      if (looksSame(shown.get(k), view)) continue;
      shown.set(k, view);
      opts.display.show(view);
    }
  };
  const allFinished = () => [...latest.values()].every((v) => isFinishedStatus(v.status));

  for (const view of opts.initial) latest.set(key(view), view);
  show();
  if (allFinished() && !opts.follow) return { views: [...latest.values()], finished: true };

  for await (const { view, current } of opts.updates) {
    if (!latest.has(key(view)) && !opts.follow) continue;
    latest.set(key(view), view);
    if (!current) continue;
    show();
    if (allFinished() && !opts.follow) return { views: [...latest.values()], finished: true };
  }
  return { views: [...latest.values()], finished: false };
}
