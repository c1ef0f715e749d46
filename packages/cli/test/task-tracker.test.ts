import type { UploadTask } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import type { TaskUpdate } from '../src/event-watcher.js';
import type { ProgressDisplay } from '../src/progress.js';
import { trackTasks } from '../src/task-tracker.js';
import { viewOfUpload, type TaskView } from '../src/task-view.js';
import { uploadRecord } from './fixtures.js';

const task = (id: number, status: number, percent = 0): UploadTask =>
  uploadRecord({ id, status, percent, hash: status === 8 ? `Qm${id}` : '' });

const recorder = () => {
  const shown: string[] = [];
  const display: ProgressDisplay = {
    show: (v: TaskView) => shown.push(`${v.id}:${v.status}:${v.percent}`),
    note: () => undefined,
    stop: () => undefined,
  };
  return { shown, display };
};

async function* feed(updates: [UploadTask, boolean][]): AsyncGenerator<TaskUpdate> {
  for (const [record, current] of updates) yield { view: viewOfUpload(record), current };
}

describe('trackTasks', () => {
  it('shows each change once and ends when every task is done or failed', async () => {
    const { shown, display } = recorder();
    const result = await trackTasks({
      initial: [viewOfUpload(task(1, 0)), viewOfUpload(task(2, 0))],
      display,
      updates: feed([
        [task(1, 0), true],
        [task(1, 1, 50), true],
        [task(1, 1, 50), true],
        [task(2, 9), true],
        [task(1, 8, 100), true],
        [task(1, 8, 100), true], // after the end: never read
      ]),
    });
    expect(result.finished).toBe(true);
    expect(shown).toEqual(['1:0:0', '2:0:0', '1:1:50', '2:9:0', '1:8:100']);
    expect(result.views.map((v) => [v.id, v.status])).toEqual([
      [1, 8],
      [2, 9],
    ]);
  });

  it('takes only the latest state of a replay: a 9 retried later is not the end', async () => {
    const { shown, display } = recorder();
    const result = await trackTasks({
      initial: [viewOfUpload(task(1, 0))],
      display,
      updates: feed([
        [task(1, 1), false],
        [task(1, 9), false],
        [task(1, 0), true], // retried: caught up here
        [task(1, 8, 100), true],
      ]),
    });
    expect(shown).toEqual(['1:0:0', '1:8:100']);
    expect(result.finished).toBe(true);
  });

  it('ignores tasks it does not follow, unless following new ones', async () => {
    const { shown, display } = recorder();
    const strangers = await trackTasks({
      initial: [viewOfUpload(task(1, 0))],
      display,
      updates: feed([
        [task(7, 3), true],
        [task(1, 8), true],
      ]),
    });
    expect(strangers.views.map((v) => v.id)).toEqual([1]);
    expect(shown).toEqual(['1:0:0', '1:8:0']);

    const following = await trackTasks({
      initial: [],
      display: recorder().display,
      follow: true,
      updates: feed([
        [task(7, 3), true],
        [task(7, 8), true],
      ]),
    });
    // Following never finishes by itself; it ends with its updates (Ctrl-C, deadline).
    expect(following).toMatchObject({ finished: false });
    expect(following.views.map((v) => [v.id, v.status])).toEqual([[7, 8]]);
  });

  it('finishes at once when every task already ended, without reading updates', async () => {
    const never: AsyncIterable<TaskUpdate> = {
      [Symbol.asyncIterator]: () => {
        throw new Error('should not subscribe');
      },
    };
    const result = await trackTasks({
      initial: [viewOfUpload(task(1, 8))],
      display: recorder().display,
      updates: never,
    });
    expect(result.finished).toBe(true);
  });

  it('reports unfinished when the updates end first', async () => {
    const result = await trackTasks({
      initial: [viewOfUpload(task(1, 0))],
      display: recorder().display,
      updates: feed([[task(1, 3, 20), true]]),
    });
    expect(result).toMatchObject({ finished: false });
  });
});
