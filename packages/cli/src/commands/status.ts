import { TaskStatus } from '@media-vault/contracts';
import { TaskApiError } from '@media-vault/task-client';
import type { StatusKind } from '../cli.js';
import { readLastRecord } from '../event-watcher.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderTable } from '../table.js';
import { statusLabel } from '../task-view.js';
import type { CommandContext, CommandHandler } from './context.js';

type Reader = (ctx: CommandContext, id: number) => Promise<object & { status: number }>;

/** One read per kind; the seed has no route for an upload task, so its last event stands in. */
const readers: Record<StatusKind, Reader> = {
  download: (ctx, id) => ctx.api.getDownloadTask(id),
  source: (ctx, id) => ctx.api.getSource(id),
  private: async (ctx, id) => {
    const task = (await ctx.api.listPrivateTasks()).data.find((t) => t.id === id);
    if (!task) throw new TaskApiError(404, `private task ${id} is not one you owe`);
    return task;
  },
  upload: async (ctx, id) => {
    let record;
    try {
      record = await readLastRecord('upload', id, {
        natsUrl: ctx.global.nats,
        natsCreds: ctx.global.natsCreds,
      });
    } catch (err) {
      throw new CliError(
        'api',
        `upload tasks are read from their status events, and NATS at ${ctx.global.nats} could not be read (${(err as Error).message}); \`vault status source <source_id>\` reads the source over HTTP`,
        { cause: err },
      );
    }
    if (!record) throw new TaskApiError(404, `no status event of upload task ${id} on NATS`);
    return record;
  },
};

/** `vault status <kind> <id>`: the record once; exit 1 when the task is at 9 (error). */
export const status: CommandHandler<'status'> = async (ctx, inv) => {
  const record = await readers[inv.kind](ctx, inv.id);
  if (ctx.global.json) ctx.printJson(record);
  else {
    const rows = Object.entries(record as Record<string, unknown>).map(([field, value]) => [
      field,
      field === 'status' || field === 'private_status'
        ? statusLabel(value as number)
        : value === '' || value === null
          ? '-'
          : String(value),
    ]);
    ctx.print(renderTable(['field', 'value'], rows));
  }
  return record.status === TaskStatus.error ? ExitCode.taskFailed : ExitCode.ok;
};
