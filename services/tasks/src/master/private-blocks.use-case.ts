import type { Principal, PrivateUploadTask } from '@media-vault/contracts';
import type { TasksDatabase } from '../db/index.js';
import { toPrivateTask } from './master.mapper.js';
import { listPrivateTasksOfUser } from './private-task.repository.js';
import { findSources } from './source.repository.js';

/** The private block uploads a source's owner owes, one per download of the source. */
export class PrivateBlocks {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * Every private block upload the caller owes, oldest first, whatever its status. The filter on
   * the caller's id is the `callersRows` rule of the permission table.
   */
  async list(principal: Principal): Promise<PrivateUploadTask[]> {
    const tasks = await listPrivateTasksOfUser(this.db, principal.id);
    if (tasks.length === 0) return [];
    const rows = await findSources(this.db, [...new Set(tasks.map((t) => t.sourceId))]);
    const byId = new Map(rows.map((s) => [s.id, s]));
    return tasks.map((privateTask) =>
      toPrivateTask({ source: byId.get(privateTask.sourceId)!, privateTask }),
    );
  }
}
