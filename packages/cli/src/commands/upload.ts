import { isFinishedStatus, type UploadTask } from '@media-vault/contracts';
import { randomUUID } from 'node:crypto';
import { relative, sep } from 'node:path';
import { ExitCode, usageError } from '../exit-codes.js';
import { renderTable } from '../table.js';
import { statusLabel, viewOfSource, viewOfUpload, type TaskView } from '../task-view.js';
import { planIngest, VideoExtensions, type IngestPlan, type VideoFile } from '../video-files.js';
import {
  earliestCreation,
  exitCodeOf,
  type CommandContext,
  type CommandHandler,
} from './context.js';

interface Created {
  readonly file: VideoFile;
  /** The file as the user knows it: relative to the folder given, `/`-separated. */
  readonly shown: string;
  readonly task: UploadTask;
}

/**
 * `vault upload <folder>`: the seed's desktop client flow with an agent doing the work. Every
 * video file gets its own source and upload task whose `path` tells the agent what to seal; the
 * files are all checked before the first task is created, so a bad folder creates nothing.
 */
export const upload: CommandHandler<'upload'> = async (ctx, inv) => {
  let plan: IngestPlan;
  try {
    plan = await planIngest(inv.folder, inv.root);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  for (const skipped of plan.skipped) ctx.note(`skipped ${skipped.file}: ${skipped.reason}`);
  if (plan.refused.length > 0) {
    const lines = plan.refused.map((r) => `  ${r.file}: ${r.reason}`).join('\n');
    throw usageError(`nothing was created; these files cannot be sent:\n${lines}`);
  }
  if (plan.files.length === 0) {
    throw usageError(`no video files under ${inv.folder} (${VideoExtensions.join(', ')})`);
  }

  const created: Created[] = [];
  for (const file of plan.files) {
    try {
      const task = await ctx.api.createUploadTask({
        series_id: inv.seriesId,
        uuid: randomUUID(),
        source_name: file.name,
        path: file.ingestPath,
        agent: inv.agent,
      });
      created.push({ file, shown: relative(inv.folder, file.file).split(sep).join('/'), task });
    } catch (err) {
      // The tasks made so far exist and their agent is sealing them: say which they are.
      if (created.length > 0) {
        ctx.note(
          `created before the failure:\n${created.map((c) => `  ${c.shown}: upload task ${c.task.id}, source ${c.task.source_id}`).join('\n')}`,
        );
      }
      throw err;
    }
  }
  const initial = created.map((c) => viewOfUpload(c.task));
  if (!inv.wait) {
    printSummary(ctx, created, initial);
    return ExitCode.ok;
  }

  const byTask = new Map(created.map((c) => [c.task.id, c]));
  const polledDone = new Set<number>();
  const result = await ctx.follow({
    initial,
    label: (view) => byTask.get(view.id)?.shown ?? view.sourceName,
    plan: {
      kind: 'upload',
      ids: created.map((c) => c.task.id),
      follow: false,
      since: earliestCreation(created.map((c) => c.task)),
      accept: (record) => byTask.get(record.id)?.task.uuid === record.uuid,
      // No route reads an upload task; its source has the status and the public block.
      poll: async () => {
        const views: TaskView[] = [];
        for (const c of created) {
          if (polledDone.has(c.task.id)) continue;
          const view = viewOfSource(await ctx.api.getSource(c.task.source_id));
          if (isFinishedStatus(view.status)) polledDone.add(c.task.id);
          views.push(view);
        }
        return views;
      },
    },
  });
  printSummary(ctx, created, result.views);
  if (!result.finished) throw ctx.signal.reason;
  return exitCodeOf(result.views);
};

function printSummary(
  ctx: CommandContext,
  created: readonly Created[],
  views: readonly TaskView[],
): void {
  const byTask = new Map(views.map((v) => [v.id, v]));
  const rows = created.map((c) => {
    const view = byTask.get(c.task.id) ?? viewOfUpload(c.task);
    return { created: c, view };
  });
  if (ctx.global.json) {
    ctx.printJson(
      rows.map(({ created: c, view }) => ({
        file: c.shown,
        path: c.file.ingestPath,
        task_id: c.task.id,
        source_id: c.task.source_id,
        uuid: c.task.uuid,
        status: view.status,
        percent: view.percent ?? null,
        hash: view.hash,
        reason: view.reason ?? '',
      })),
    );
    return;
  }
  // A reason column only when a failure has one: the seed's records have none to show.
  const reasons = rows.some(({ view }) => view.reason !== undefined);
  ctx.print(
    renderTable(
      ['file', 'task', 'source_id', 'status', 'public block', ...(reasons ? ['reason'] : [])],
      rows.map(({ created: c, view }) => [
        c.shown,
        c.task.id,
        c.task.source_id,
        statusLabel(view.status),
        view.hash || '-',
        ...(reasons ? [view.reason ?? ''] : []),
      ]),
    ),
  );
}
