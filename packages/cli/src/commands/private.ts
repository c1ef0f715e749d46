import { isFinishedStatus, TaskStatus, type PrivateUploadTask } from '@media-vault/contracts';
import { TaskApiError } from '@media-vault/task-client';
import type { CliError } from '../exit-codes.js';
import { ExitCode } from '../exit-codes.js';
import { renderTable } from '../table.js';
import { statusLabel, viewOfPrivate, type TaskView } from '../task-view.js';
import {
  earliestCreation,
  exitCodeOf,
  type CommandContext,
  type CommandHandler,
} from './context.js';

interface SeriesGroup {
  readonly series_id: number;
  /** Folder (programme) names reported for the series' blocks: how people recognise it. */
  readonly names: string[];
  readonly tasks: PrivateUploadTask[];
}

/** The seed's client lists the private blocks owed grouped by programme; series is that key. */
function bySeries(tasks: readonly PrivateUploadTask[]): SeriesGroup[] {
  const groups = new Map<number, SeriesGroup>();
  for (const task of tasks) {
    let group = groups.get(task.series_id);
    if (!group) {
      group = { series_id: task.series_id, names: [], tasks: [] };
      groups.set(task.series_id, group);
    }
    group.tasks.push(task);
    if (task.file && !group.names.includes(task.file)) group.names.push(task.file);
  }
  return [...groups.values()].sort((a, b) => a.series_id - b.series_id);
}

const taskRows = (tasks: readonly PrivateUploadTask[]) =>
  tasks.map((t) => [
    t.id,
    t.source_id,
    t.source_name,
    statusLabel(t.status),
    `${t.percent}%`,
    t.hash || '-',
  ]);
const taskHeaders = ['task', 'source_id', 'master', 'status', '%', 'private block'];

/** `vault private list`: every private block the caller owes, whatever its status. */
export const privateList: CommandHandler<'private-list'> = async (ctx) => {
  const reply = await ctx.api.listPrivateTasks();
  const groups = bySeries(reply.data);
  if (ctx.global.json) {
    ctx.printJson(groups);
    return ExitCode.ok;
  }
  if (groups.length === 0) {
    ctx.print('no private blocks owed');
    return ExitCode.ok;
  }
  const sections = groups.map((g) => {
    const title = `series ${g.series_id}${g.names.length > 0 ? ` (${g.names.join(', ')})` : ''}`;
    return `${title}\n${indent(renderTable(taskHeaders, taskRows(g.tasks)))}`;
  });
  const legend = reply.meta.status_choices.map((c) => `${c.code} ${c.name}`).join(', ');
  ctx.print(`${sections.join('\n\n')}\n\nstatuses: ${legend}`);
  return ExitCode.ok;
};

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/**
 * `vault private watch [ids…]`: the caller's agents release private blocks by themselves when a
 * licensee opens a download; this shows those releases (all unfinished ones by default).
 */
export const privateWatch: CommandHandler<'private-watch'> = async (ctx, inv) => {
  const owed = (await ctx.api.listPrivateTasks()).data;
  const known = new Map(owed.map((t) => [t.id, t]));
  const missing = inv.ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new TaskApiError(404, `private task ${missing.join(', ')} is not one you owe`);
  }
  const targets =
    inv.ids.length > 0
      ? inv.ids.map((id) => known.get(id)!)
      : owed.filter((t) => !isFinishedStatus(t.status));
  if (targets.length === 0 && !inv.follow) {
    if (!ctx.global.json) ctx.print('no private block releases in progress');
    else ctx.printJson([]);
    return ExitCode.ok;
  }
  // Following takes new tasks by their owner, who is the caller.
  const me = inv.follow ? await ctx.api.me() : undefined;
  const watched = new Set(targets.map((t) => t.id));
  const result = await ctx.follow({
    initial: targets.map(viewOfPrivate),
    // One master can owe several releases (one per download): the task id tells them apart.
    label: (view) => `#${view.id} ${view.sourceName}`,
    plan: {
      kind: 'private',
      ids: [...watched],
      follow: inv.follow,
      since: earliestCreation(targets),
      accept: (record) => {
        // Tasks listed at the start are followed only when chosen (those already finished are
        // not news); any other is new, and taken when following and it is the caller's.
        const before = known.get(record.id);
        if (before) return watched.has(record.id) && before.created_at === record.created_at;
        return me !== undefined && (record as { user_id?: unknown }).user_id === me.id;
      },
      poll: async () =>
        (await ctx.api.listPrivateTasks()).data
          .filter((t) => watched.has(t.id) || (inv.follow && !known.has(t.id)))
          .map(viewOfPrivate),
    },
  });
  printWatched(ctx, result.views);
  if (!result.finished) {
    const reason = ctx.signal.reason as CliError;
    // With --follow, Ctrl-C is the ordinary way to stop.
    if (!(inv.follow && reason.kind === 'interrupted')) throw reason;
  }
  return exitCodeOf(result.views);
};

/**
 * `vault private release <ids…>`: a release that failed (9) is sent to the sealing agent again
 * (the API's retry, 9 → 0), then followed like `watch`. A release in progress is only followed;
 * one already done is left alone.
 */
export const privateRelease: CommandHandler<'private-release'> = async (ctx, inv) => {
  const owed = new Map((await ctx.api.listPrivateTasks()).data.map((t) => [t.id, t]));
  const missing = inv.ids.filter((id) => !owed.has(id));
  if (missing.length > 0) {
    throw new TaskApiError(404, `private task ${missing.join(', ')} is not one you owe`);
  }
  for (const id of inv.ids) {
    const task = owed.get(id)!;
    if (task.status === TaskStatus.error) await ctx.api.retryPrivateTask(id);
    else if (task.status === TaskStatus.done && !ctx.global.json) {
      ctx.print(`private task ${id} is already released (${task.hash})`);
    }
  }
  return privateWatch(ctx, { command: 'private-watch', ids: inv.ids, follow: false });
};

function printWatched(ctx: CommandContext, views: readonly TaskView[]): void {
  const records = views.map((v) => v.record as PrivateUploadTask);
  if (ctx.global.json) ctx.printJson(records);
  else ctx.print(renderTable(taskHeaders, taskRows(records)));
}
