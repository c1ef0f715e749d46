import {
  CommandSubjects as S,
  type CreateUploadTaskRequest,
  type Principal,
  type UploadTask,
} from '@media-vault/contracts';
import { enqueueEvents, runOnce } from '@media-vault/service-kit';
import { findAgent } from '../agents/agent.repository.js';
import type { TasksDatabase } from '../db/index.js';
import { authorizeAgent } from '../permissions.js';
import { assertSealRequest } from './ingest-path.rules.js';
import { sealJobsOf, taskEvent } from './master.events.js';
import { toUploadTask, uploadEventRecord, type UploadView } from './master.mapper.js';
import { insertSource } from './source.repository.js';
import { insertUploadTask } from './upload-task.repository.js';

/** Film masters entering the vault: a source and the upload task of its public block. */
export class UploadTasks {
  constructor(private readonly db: TasksDatabase) {}

  /**
   * Creates a source and its public-block upload task (status 0). With `path` and `agent`, the
   * caller's agent is asked to seal the master and is recorded on the source as its sealer.
   * With an idempotency key the caller used before for the same request, answers what that
   * create answered and creates nothing.
   */
  async create(principal: Principal, command: CreateUploadTaskRequest): Promise<UploadTask> {
    const { idempotency_key: key, ...body } = command;
    assertSealRequest(body);
    const call = { userId: principal.id, key, subject: S.uploadCreate, request: body };
    return this.db.transaction((tx) =>
      runOnce(tx, call, async () => {
        if (body.agent !== undefined) {
          authorizeAgent(S.uploadCreate, principal, body.agent, await findAgent(tx, body.agent));
        }
        const source = await insertSource(tx, {
          userId: principal.id,
          seriesId: body.series_id,
          uuid: body.uuid,
          sourceName: body.source_name,
          ingestPath: body.path ?? null,
          sealedBy: body.agent ?? null,
        });
        const upload = await insertUploadTask(tx, { sourceId: source.id, userId: principal.id });
        const view: UploadView = { source, upload };
        await enqueueEvents(tx, [
          taskEvent('upload', uploadEventRecord(view), null),
          ...sealJobsOf(view),
        ]);
        return toUploadTask(view);
      }),
    );
  }
}
