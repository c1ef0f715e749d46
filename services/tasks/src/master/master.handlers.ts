import { MasterTaskCommandSubjects as S } from '@media-vault/contracts';
import type { CommandHandler, OutboxRelay } from '@media-vault/service-kit';
import type { TasksDatabase } from '../db/index.js';
import { BlockReports } from './block-reports.use-case.js';
import { Downloads } from './downloads.use-case.js';
import { Grants } from './grants.use-case.js';
import { MyTasks } from './my-tasks.use-case.js';
import { PrivateBlocks } from './private-blocks.use-case.js';
import { SourceDeletion } from './source-deletion.use-case.js';
import { UploadTasks } from './upload-tasks.use-case.js';

type MasterSubjects = (typeof S)[keyof typeof S];

export interface MasterUseCases {
  readonly uploads: UploadTasks;
  readonly reports: BlockReports;
  readonly downloads: Downloads;
  readonly privates: PrivateBlocks;
  readonly mine: MyTasks;
  readonly grants: Grants;
  readonly sources: SourceDeletion;
}

export const createMasterUseCases = (db: TasksDatabase): MasterUseCases => ({
  uploads: new UploadTasks(db),
  reports: new BlockReports(db),
  downloads: new Downloads(db),
  privates: new PrivateBlocks(db),
  mine: new MyTasks(db),
  grants: new Grants(db),
  sources: new SourceDeletion(db),
});

/** Seed 000 task commands; after a commit that wrote events or jobs, the relay is woken. */
export const masterTaskHandlers = (
  master: MasterUseCases,
  relay: Pick<OutboxRelay, 'notify'>,
): { [K in MasterSubjects]: CommandHandler<K> } => {
  const notifying = async <T>(work: Promise<{ changed: boolean } & T>): Promise<T> => {
    const result = await work;
    if (result.changed) relay.notify();
    return result;
  };
  return {
    [S.uploadCreate]: async (body, { principal }) => {
      const task = await master.uploads.create(principal, body);
      relay.notify();
      return task;
    },
    [S.uploadUpdate]: async (request, { principal }) =>
      (await notifying(master.reports.reportUpload(principal, request))).task,
    [S.downloadCreate]: async (query, { principal }) =>
      (await notifying(master.downloads.create(principal, query))).task,
    [S.downloadUpdate]: async (request, { principal }) =>
      (await notifying(master.downloads.update(principal, request))).task,
    [S.downloadGet]: async ({ id }, { principal }) => master.downloads.get(principal, id),
    [S.privateList]: async (_request, { principal }) => master.privates.list(principal),
    [S.mine]: async (query, { principal }) => master.mine.list(principal, query),
    [S.privateUpdate]: async (request, { principal }) =>
      (await notifying(master.reports.reportPrivate(principal, request))).task,
    [S.sourceGet]: async ({ source_id }, { principal }) =>
      master.grants.getSource(principal, source_id),
    [S.sourceDelete]: async ({ source_id }, { principal }) =>
      (await notifying(master.sources.delete(principal, source_id))).source,
    [S.grantCreate]: async (request, { principal }) =>
      (await notifying(master.grants.create(principal, request))).grant,
    [S.grantList]: async ({ source_id }, { principal }) => master.grants.list(principal, source_id),
    [S.grantRevoke]: async (request, { principal }) =>
      (await notifying(master.grants.revoke(principal, request))).grant,
  };
};
