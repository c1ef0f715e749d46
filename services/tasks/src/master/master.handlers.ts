import { MasterTaskCommandSubjects as S } from '@media-vault/contracts';
import type { CommandHandler, OutboxRelay } from '@media-vault/service-kit';
import type { TasksDatabase } from '../db/index.js';
import { DownloadTaskRepository } from './download-task.repository.js';
import { GrantRepository } from './grant.repository.js';
import { PrivateTaskRepository } from './private-task.repository.js';
import { UploadTaskRepository } from './upload-task.repository.js';

type MasterSubjects = (typeof S)[keyof typeof S];

export interface MasterRepositories {
  readonly uploads: UploadTaskRepository;
  readonly downloads: DownloadTaskRepository;
  readonly privates: PrivateTaskRepository;
  readonly grants: GrantRepository;
}

export const createMasterRepositories = (db: TasksDatabase): MasterRepositories => ({
  uploads: new UploadTaskRepository(db),
  downloads: new DownloadTaskRepository(db),
  privates: new PrivateTaskRepository(db),
  grants: new GrantRepository(db),
});

/** Seed 000 task commands; after a commit that wrote events or jobs, the relay is woken. */
export const masterTaskHandlers = (
  repos: MasterRepositories,
  relay: Pick<OutboxRelay, 'notify'>,
): { [K in MasterSubjects]: CommandHandler<K> } => {
  const notifying = async <T>(work: Promise<{ changed: boolean } & T>): Promise<T> => {
    const result = await work;
    if (result.changed) relay.notify();
    return result;
  };
  return {
    [S.uploadCreate]: async (body, { principal }) => {
      const task = await repos.uploads.create(principal, body);
      relay.notify();
      return task;
    },
    [S.uploadUpdate]: async (request, { principal }) =>
      (await notifying(repos.uploads.update(principal, request))).task,
    [S.downloadCreate]: async (query, { principal }) =>
      (await notifying(repos.downloads.create(principal, query))).task,
    [S.downloadUpdate]: async (request, { principal }) =>
      (await notifying(repos.downloads.update(principal, request))).task,
    [S.downloadGet]: async ({ id }, { principal }) => repos.downloads.get(principal, id),
    [S.privateList]: async (_request, { principal }) => repos.privates.list(principal),
    [S.privateUpdate]: async (request, { principal }) =>
      (await notifying(repos.privates.update(principal, request))).task,
    [S.sourceGet]: async ({ source_id }, { principal }) =>
      repos.grants.getSource(principal, source_id),
    [S.grantCreate]: async (request, { principal }) =>
      (await notifying(repos.grants.create(principal, request))).grant,
    [S.grantList]: async ({ source_id }, { principal }) => repos.grants.list(principal, source_id),
    [S.grantRevoke]: async (request, { principal }) =>
      (await notifying(repos.grants.revoke(principal, request))).grant,
  };
};
