import { TaskStatus, type DownloadTask } from '@media-vault/contracts';
import { ExitCode } from '../exit-codes.js';
import { statusLabel, viewOfDownload, type TaskView } from '../task-view.js';
import { parseSeedTime, type CommandContext, type CommandHandler } from './context.js';

/**
 * `vault download <source_id> --agent <id>`: opens (or reopens: the API returns the caller's
 * unfinished task) the download task with the caller's agent, which fetches the public block (4),
 * waits for the owner's agent to release the private block (5), fetches it (6) and composes the
 * master (7). The CLI only follows; the master is written on the agent's machine.
 */
export const download: CommandHandler<'download'> = async (ctx, inv) => {
  const task = await ctx.api.openDownloadTask({ source_id: inv.sourceId, agent: inv.agent });
  if (!inv.wait) {
    printTask(ctx, task, inv.agent);
    return ExitCode.ok;
  }
  const result = await ctx.follow({
    initial: [viewOfDownload(task)],
    label: (view) => view.sourceName,
    plan: {
      kind: 'download',
      ids: [task.id],
      follow: false,
      since: parseSeedTime(task.created_at),
      accept: (record) =>
        record.source_id === task.source_id && record.created_at === task.created_at,
      poll: async () => [viewOfDownload(await ctx.api.getDownloadTask(task.id))],
    },
  });
  const last = result.views.find((v) => v.id === task.id);
  const record = (last?.record ?? task) as DownloadTask;
  printTask(ctx, record, inv.agent);
  if (!result.finished) throw ctx.signal.reason;
  if (last?.status === TaskStatus.error) {
    const why = last.reason ? `: ${last.reason}` : "; the agent's log says why";
    ctx.note(`download task ${task.id} failed (9)${why}`);
    return ExitCode.taskFailed;
  }
  return ExitCode.ok;
};

function printTask(ctx: CommandContext, task: DownloadTask, agent: string): void {
  if (ctx.global.json) {
    ctx.printJson(task);
    return;
  }
  const view: TaskView = viewOfDownload(task);
  const lines = [
    `download task ${task.id}: ${statusLabel(task.status)} ${task.percent}%`,
    `  master:        ${task.source_name} (source ${task.source_id}, series ${task.series_id})`,
    `  public block:  ${task.hash || '-'} (${task.size} bytes)`,
    `  private block: ${task.private_hash || '-'} (${statusLabel(view.privateStatus ?? 0)})`,
  ];
  if (task.status === TaskStatus.done) {
    // The CLI never holds the master: the agent composed and verified it on its own machine.
    // Events name the task's agent, which may differ when an open task was returned.
    const recorded = (task as { agent?: unknown }).agent;
    const by = typeof recorded === 'string' && recorded !== '' ? recorded : agent;
    lines.push(
      `  written by:    agent ${by}, as "${task.source_name}" in its download folder (DOWNLOAD_DIR)`,
    );
  }
  ctx.print(lines.join('\n'));
}
