import type { CommandSubjects as S } from '@media-vault/contracts';
import { VaultError, type Principal, type SignedGrant } from '@media-vault/contracts';
import { findAgent } from '../agents/agent.repository.js';
import type { Db, ReadOptions } from '../db/access.js';
import type { SourceRow } from '../db/schema.js';
import { authorize, type ObjectCommand } from '../permissions.js';
import { findDownloadTask } from './download-task.repository.js';
import { findGrant } from './grant.repository.js';
import type { DownloadAgents } from './master.events.js';
import type { DownloadView, PrivateView, UploadView } from './master.mapper.js';
import { findPrivateTask, findPrivateTaskOfDownload } from './private-task.repository.js';
import { findSource } from './source.repository.js';
import { findUploadTask, findUploadTaskOfSource } from './upload-task.repository.js';

/*
 * The rows a use case acts on, read together from the repositories inside the caller's
 * transaction. With `lock`, the task row itself is locked; the rows around it are only read.
 */

/** Rows that must exist once their task does; a missing one is a broken invariant, not a 404. */
const present = <T>(row: T | undefined, what: string): T => {
  if (row === undefined) throw new VaultError('internal', `${what} is missing`);
  return row;
};

/** A source already read, with its upload task. */
export async function uploadOfSource(db: Db, source: SourceRow): Promise<UploadView> {
  const upload = present(
    await findUploadTaskOfSource(db, source.id),
    `upload task of source ${source.id}`,
  );
  return { source, upload };
}

export async function uploadViewOfSource(db: Db, sourceId: number): Promise<UploadView> {
  return uploadOfSource(db, present(await findSource(db, sourceId), `source ${sourceId}`));
}

export async function findUploadView(
  db: Db,
  id: number,
  options: ReadOptions = {},
): Promise<UploadView | undefined> {
  const upload = await findUploadTask(db, id, options);
  if (!upload) return undefined;
  const source = present(await findSource(db, upload.sourceId), `source ${upload.sourceId}`);
  return { source, upload };
}

export async function findDownloadView(
  db: Db,
  id: number,
  options: ReadOptions = {},
): Promise<DownloadView | undefined> {
  const download = await findDownloadTask(db, id, options);
  if (!download) return undefined;
  const { source, upload } = await uploadViewOfSource(db, download.sourceId);
  const privateTask = present(
    await findPrivateTaskOfDownload(db, download.id),
    `private task of download task ${download.id}`,
  );
  return { source, upload, download, privateTask };
}

export async function findPrivateView(
  db: Db,
  id: number,
  options: ReadOptions = {},
): Promise<PrivateView | undefined> {
  const privateTask = await findPrivateTask(db, id, options);
  if (!privateTask) return undefined;
  const source = present(
    await findSource(db, privateTask.sourceId),
    `source ${privateTask.sourceId}`,
  );
  return { source, privateTask };
}

type SourceCommand =
  | typeof S.sourceGet
  | typeof S.sourceDelete
  | typeof S.grantCreate
  | typeof S.grantList
  | typeof S.grantRevoke
  | typeof S.downloadCreate;

/** Reads a source with the caller's grant on it and applies the command's rule to both. */
export async function authorizedSource(
  db: Db,
  command: SourceCommand & ObjectCommand,
  principal: Principal,
  sourceId: number,
  opts: ReadOptions = {},
): Promise<SourceRow> {
  const found = await findSource(db, sourceId, opts);
  // A deleted source is gone for every source command, its owner's and root's too.
  const source = found?.deletedAt ? undefined : found;
  const grant = source && (await findGrant(db, sourceId, principal.id));
  authorize(command, principal, { id: sourceId, ownerId: source?.userId, grant });
  return source!;
}

/**
 * The owner-signed statement behind a download by `userId`, as stored: the fetching agent checks
 * it and the sealing agent reads the grant again itself right before it releases.
 */
export async function signedGrantOf(
  db: Db,
  source: SourceRow,
  userId: string,
): Promise<SignedGrant | null> {
  return (await findGrant(db, source.id, userId))?.signedGrant ?? null;
}

/** The agents a download's jobs go to: the downloader's (if it named one) and the sealer. */
export async function downloadAgentsOf(db: Db, view: DownloadView): Promise<DownloadAgents> {
  const agent = view.download.agent ? await findAgent(db, view.download.agent) : undefined;
  const sealer =
    agent && view.source.sealedBy ? await findAgent(db, view.source.sealedBy) : undefined;
  return { agent, sealer };
}
