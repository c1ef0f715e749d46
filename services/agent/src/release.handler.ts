import { TaskStatus, type ReleaseJob } from '@media-vault/contracts';
import type { IpfsPort } from '@media-vault/ipfs';
import { decodeRawKey, openVaultCopy, sealKeyEnvelope } from '@media-vault/sealed';
import { PermanentJobError, type JobContext } from '@media-vault/service-kit';
import type { AgentContext } from './agent-context.js';
import { recordRelease } from './audit-trail.js';
import { releaseDecision } from './grant-checks.rules.js';
import { TaskReporter } from './task-reporter.js';

/** Seed times are UTC `YYYY-MM-DD HH:mm:ss`. */
const seedTime = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * jobs.ipfs.<agent>.release: the private block this agent sealed, re-sealed to the downloader's
 * agent key, signed by this agent, limited to the window of the owner's signed grant (checked
 * against the owner key on this agent's disk just before sealing), added to IPFS and pinned; the
 * private task goes 3 → 8 with the envelope's CID, which fills the download task's `private_*`.
 * The private block is opened only in memory here and never leaves the agent in clear.
 */
export function releaseHandler(agent: AgentContext, ipfs: IpfsPort) {
  return async function release(job: ReleaseJob, ctx: JobContext): Promise<void> {
    const task = (await agent.api.listPrivateTasks()).data.find((t) => t.id === job.privateTaskId);
    if (!task) {
      throw new PermanentJobError(`private task ${job.privateTaskId} is not one this user owes`);
    }
    if (task.status === TaskStatus.done || task.status === TaskStatus.error) {
      ctx.log.info({ privateTaskId: task.id, status: task.status }, 'release: task already ended');
      return;
    }
    // Asked of the platform now, not taken from the job: a revocation since the job was queued
    // must stop it. What the record says is then checked against the owner's signature.
    const grant = (await agent.api.listGrants(job.sourceId)).find(
      (g) => g.user_id === job.recipient.userId,
    );
    const decision = releaseDecision({
      job,
      grant,
      self: agent.secrets.identity,
      ownerKey: agent.ownerKey,
      now: new Date(),
    });
    if (!decision.ok) throw new PermanentJobError(`no release: ${decision.reason}`);
    const envelope = await agent.vault.read(job.uuid, job.publicBlockCid);
    if (!envelope) {
      throw new PermanentJobError(
        `this agent holds no private block of source ${job.sourceId} (${job.publicBlockCid})`,
      );
    }
    const reporter = new TaskReporter('private', task, (report) =>
      agent.api.reportPrivate(job.privateTaskId, report),
    );
    const privateBlock = await openVaultCopy(envelope, agent.secrets.identity, job.uuid);
    await reporter.step(TaskStatus.uploading);

    const released = await sealKeyEnvelope({
      privateBlock,
      signer: agent.secrets.identity,
      recipient: { id: job.recipient.agent, publicKey: decodeRawKey(job.recipient.publicKey) },
      ...decision.value,
      createdAt: seedTime(task.created_at),
      // A fresh random ephemeral key for every envelope (the library's default): a release made
      // again, say with another window after a retry, must never reuse the HPKE key and nonce.
      // Idempotency comes from the task instead: a release whose task is done is not redone.
    }).finally(() => privateBlock.contentKey.fill(0));
    const added = await ipfs.add(once(released));
    await ipfs.pin(added.cid);
    await recordRelease(agent, job, added.cid, {
      statementId: grant?.signed_grant?.statement.id ?? null,
      ...decision.value,
    });
    await reporter.step(
      TaskStatus.done,
      {
        name: `${job.publicBlockCid}.${job.recipient.agent}.mvke`,
        file: '',
        hash: added.cid,
        size: added.size,
        ip: agent.peerId,
      },
      100,
    );
    ctx.log.info(
      { privateTaskId: job.privateTaskId, recipient: job.recipient.agent, cid: added.cid },
      'private block released',
    );
  };
}
