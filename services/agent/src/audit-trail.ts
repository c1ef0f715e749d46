import type {
  AgentAuditKind,
  AuditEntry,
  ComposedJob,
  DownloadTask,
  FetchJob,
  MasterJobKind,
  MasterJobOf,
  ReleaseJob,
} from '@media-vault/contracts';
import { signAuditBody, type KeyEnvelopeHeader } from '@media-vault/sealed';
import { PermanentJobError, type Logger } from '@media-vault/service-kit';
import { TaskApiError } from '@media-vault/task-client';
import type { AgentContext } from './agent-context.js';

/*
 * What this agent did, in its sources' audit logs (docs/sealed-format.md, "Audit log"): each
 * entry signed with the agent's Ed25519 key and appended through the platform API as its user.
 * An entry's id is the job's id and the kind (and a release's envelope CID), so a redelivered job
 * names the same entry and the log keeps it once. The handlers record before they report the step
 * done, so a task never moves on without its entry: an append that fails for now fails the job,
 * which is delivered again; one the platform refuses fails it for good, and the task ends in 9
 * with the reason.
 */

export interface AuditRecord {
  readonly jobId: string;
  /** Told apart within one job: each envelope a release makes is its own event. */
  readonly detail?: string;
  readonly sourceId: number;
  readonly sourceUuid: string;
  readonly kind: AgentAuditKind;
  readonly data: Record<string, unknown>;
}

export const auditEntryId = (record: Pick<AuditRecord, 'jobId' | 'kind' | 'detail'>): string =>
  [record.jobId, record.kind, ...(record.detail === undefined ? [] : [record.detail])].join(':');

/** Signs the entry with this agent's key and appends it as the agent's user. */
export async function appendAuditEntry(
  agent: AgentContext,
  record: AuditRecord,
): Promise<AuditEntry> {
  const body = {
    entry_id: auditEntryId(record),
    source_id: record.sourceId,
    source_uuid: record.sourceUuid,
    kind: record.kind,
    at: new Date().toISOString(),
    actor: { user_id: agent.userId, agent: agent.settings.id },
    data: record.data,
  };
  const { source_id: _sourceId, ...fields } = body;
  return agent.api.appendAudit(record.sourceId, {
    ...fields,
    signature: signAuditBody(body, agent.secrets.identity),
  });
}

/** An append from inside a job: a refusal will not change on redelivery, so it ends the job. */
async function appendForJob(agent: AgentContext, record: AuditRecord): Promise<void> {
  try {
    await appendAuditEntry(agent, record);
  } catch (err) {
    if (err instanceof TaskApiError && err.permanent) {
      throw new PermanentJobError(
        `the audit log refused the ${record.kind} entry: ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

const isoOrNull = (time: Date | undefined): string | null => time?.toISOString() ?? null;

/**
 * A private block released to the recipient's agent: recorded before the task reports it. A
 * release delivered again after a crash seals a new envelope (a fresh ephemeral key each time),
 * so the entry is told apart by the envelope's CID: each envelope made is recorded once.
 */
export const recordRelease = (
  agent: AgentContext,
  job: ReleaseJob,
  envelopeCid: string,
  grant: {
    readonly statementId: string | null;
    readonly notBefore?: Date;
    readonly notAfter?: Date;
  },
): Promise<void> =>
  appendForJob(agent, {
    jobId: job.id,
    detail: envelopeCid,
    sourceId: job.sourceId,
    sourceUuid: job.uuid,
    kind: 'release',
    data: {
      private_task_id: job.privateTaskId,
      download_task_id: job.downloadTaskId,
      public_block_cid: job.publicBlockCid,
      envelope_cid: envelopeCid,
      recipient: { user_id: job.recipient.userId, agent: job.recipient.agent },
      // The owner-signed statement the release obeyed (none: released to the sealer itself).
      grant_statement: grant.statementId,
      not_before: grant.notBefore?.toISOString() ?? null,
      not_after: grant.notAfter?.toISOString() ?? null,
    },
  });

/** A released private block fetched and verified (signed by the sealer, addressed to us, in time). */
export const recordFetch = (
  agent: AgentContext,
  job: FetchJob,
  envelopeCid: string,
  envelope: Pick<KeyEnvelopeHeader, 'notBefore' | 'notAfter'>,
): Promise<void> =>
  appendForJob(agent, {
    jobId: job.id,
    sourceId: job.sourceId,
    sourceUuid: job.uuid,
    kind: 'fetch',
    data: {
      download_task_id: job.downloadTaskId,
      public_block_cid: job.publicBlock.hash,
      envelope_cid: envelopeCid,
      sealer: job.sealer?.agent ?? null,
      not_before: isoOrNull(envelope.notBefore),
      not_after: isoOrNull(envelope.notAfter),
    },
  });

/**
 * The compose step's verdict on a download: `compose` when the master verified, `failure` when
 * it did not. Nothing of the plaintext goes in (no digest, size or media reading).
 */
export const recordComposed = (
  agent: AgentContext,
  job: ComposedJob,
  task: DownloadTask,
): Promise<void> =>
  appendForJob(agent, {
    jobId: job.id,
    sourceId: task.source_id,
    sourceUuid: task.uuid,
    ...(job.ok
      ? {
          kind: 'compose' as const,
          data: {
            download_task_id: job.downloadTaskId,
            public_block_cid: task.hash,
            envelope_cid: task.private_hash,
          },
        }
      : {
          kind: 'failure' as const,
          data: {
            task: 'download',
            task_id: job.downloadTaskId,
            job: 'compose',
            reason: job.reason ?? 'the composed master failed its checks',
          },
        }),
  });

/** The task and source a job given up ended in 9. */
async function failedTaskOf<K extends MasterJobKind>(
  agent: AgentContext,
  kind: K,
  job: MasterJobOf<K>,
): Promise<{ task: string; taskId: number; sourceId: number; sourceUuid: string }> {
  if (kind === 'seal') {
    const seal = job as MasterJobOf<'seal'>;
    return { task: 'upload', taskId: seal.taskId, sourceId: seal.sourceId, sourceUuid: seal.uuid };
  }
  if (kind === 'release') {
    const release = job as MasterJobOf<'release'>;
    return {
      task: 'private',
      taskId: release.privateTaskId,
      sourceId: release.sourceId,
      sourceUuid: release.uuid,
    };
  }
  if (kind === 'fetch') {
    const fetch = job as MasterJobOf<'fetch'>;
    return {
      task: 'download',
      taskId: fetch.downloadTaskId,
      sourceId: fetch.sourceId,
      sourceUuid: fetch.uuid,
    };
  }
  // A verdict names only the download; its task says which source it is.
  const { downloadTaskId } = job as MasterJobOf<'composed'>;
  const task = await agent.api.getDownloadTask(downloadTaskId);
  return {
    task: 'download',
    taskId: downloadTaskId,
    sourceId: task.source_id,
    sourceUuid: task.uuid,
  };
}

/**
 * A job given up, after its task was told 9: the failure goes in the source's log too. An append
 * that fails for now is thrown, so the give-up comes back (its report and entry are both safe to
 * repeat); one the platform refuses is logged, as it would never pass.
 */
export async function recordGiveUp<K extends MasterJobKind>(
  agent: AgentContext,
  log: Logger,
  kind: K,
  job: MasterJobOf<K>,
  reason: string,
): Promise<void> {
  try {
    const failed = await failedTaskOf(agent, kind, job);
    await appendAuditEntry(agent, {
      jobId: job.id,
      sourceId: failed.sourceId,
      sourceUuid: failed.sourceUuid,
      kind: 'failure',
      data: { task: failed.task, task_id: failed.taskId, job: kind, reason },
    });
  } catch (err) {
    if (err instanceof TaskApiError && err.permanent) {
      log.error({ err, job: job.id, kind }, 'the audit log refused the failure entry');
      return;
    }
    log.warn({ err, job: job.id, kind }, 'could not append the failure entry; will retry');
    throw err;
  }
}
