import type { ListMyTasksQuery, MyTasks as MyTasksList, Principal } from '@media-vault/contracts';
import type { TasksDatabase } from '../db/index.js';
import { listDownloadTasksOfUser } from './download-task.repository.js';
import { toDownloadTask, toUploadTask } from './master.mapper.js';
import { findSources } from './source.repository.js';
import { findUploadTasksOfSources, listUploadTasksOfUser } from './upload-task.repository.js';

const DEFAULT_LIMIT = 50;

/** The caller's own upload and download tasks, for a page that opens after they changed. */
export class MyTasks {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * Newest first, at most `limit` of each kind. The filter on the caller's id is the
   * `callersRows` rule of the permission table: root sees only its own here too.
   */
  async list(
    principal: Principal,
    { limit = DEFAULT_LIMIT }: ListMyTasksQuery,
  ): Promise<MyTasksList> {
    const [uploads, downloads] = await Promise.all([
      listUploadTasksOfUser(this.db, principal.id, limit),
      listDownloadTasksOfUser(this.db, principal.id, limit),
    ]);
    const sourceIds = [...new Set([...uploads, ...downloads].map((t) => t.sourceId))];
    const [sources, blocks] = await Promise.all([
      findSources(this.db, sourceIds),
      // A download shows the public block of its source, which its source's upload task holds.
      findUploadTasksOfSources(this.db, [...new Set(downloads.map((d) => d.sourceId))]),
    ]);
    const sourceOf = new Map(sources.map((s) => [s.id, s]));
    const blockOf = new Map(blocks.map((u) => [u.sourceId, u]));
    return {
      uploads: uploads.map((upload) =>
        toUploadTask({ source: sourceOf.get(upload.sourceId)!, upload }),
      ),
      downloads: downloads.map((download) =>
        toDownloadTask({
          source: sourceOf.get(download.sourceId)!,
          upload: blockOf.get(download.sourceId)!,
          download,
        }),
      ),
    };
  }
}
