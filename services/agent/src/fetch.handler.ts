import {
  JobSubjects,
  TaskStatus,
  type ComposeJob,
  type DownloadTask,
  type FetchJob,
  type MasterMedia,
} from '@media-vault/contracts';
import { IpfsNotFoundError, type IpfsPort, type NetworkRead } from '@media-vault/ipfs';
import { createOpenStream, isSealedFormatError, openKeyEnvelope } from '@media-vault/sealed';
import {
  PermanentJobError,
  publishJob,
  type JobContext,
  type NatsConnection,
} from '@media-vault/service-kit';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentContext } from './agent-context.js';
import { recordFetch } from './audit-trail.js';
import { envelopeSignerDecision } from './grant-checks.rules.js';
import { byteCounter } from './byte-counter.js';
import { downloadPaths, writeComposePlan } from './download-files.js';
import { TaskReporter } from './task-reporter.js';

/** A released private block is a few hundred bytes; anything far larger is not one. */
const MAX_ENVELOPE_BYTES = 1024 * 1024;
const POLL_MS = 1_000;

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => -1,
  );

async function readAll(source: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > limit) throw new PermanentJobError(`the private block is over ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Transfer reports this often at most: a master crosses a fast link in a few seconds. */
const TRANSFER_REPORT_MS = 250;

/**
 * A block no node served within the wait is handed back, not failed: JetStream delivers the fetch
 * again with a growing delay (the node holding it may be back by then), and the delivery that
 * gives up ends the task at 9 with this reason, naming the block. Retrying the task (9 → 0) sends
 * the fetch again, which resumes where this one stopped.
 */
function retryIfNotFound(err: unknown, what: string, ctx: JobContext): unknown {
  return err instanceof IpfsNotFoundError
    ? new Error(`${what}: ${err.message} (attempt ${ctx.attempt})`, { cause: err })
    : err;
}

/** A tampered, misaddressed or expired block fails for good, with the format's reason. */
function permanentIfSealed(err: unknown, what: string): unknown {
  return isSealedFormatError(err)
    ? new PermanentJobError(`${what}: ${err.reason}: ${err.message}`, { cause: err })
    : err;
}

/**
 * jobs.ipfs.<agent>.fetch, on the downloader's agent: fetch the public block (4, with percent),
 * wait for the private block to be released (5), fetch and open it (6: signature by the sealing
 * agent, addressed to this agent, inside its window), decrypt segment by segment into a partial
 * file (7), then hand it to the compose step to verify and give its final name. The public block
 * copy survives a crash, so a redelivered fetch resumes after it.
 */
export function fetchHandler(agent: AgentContext, ipfs: IpfsPort, nc: NatsConnection) {
  async function waitForPrivateBlock(job: FetchJob): Promise<DownloadTask> {
    const deadline = Date.now() + agent.settings.privateBlockWaitMs;
    for (;;) {
      const task = await agent.api.getDownloadTask(job.downloadTaskId);
      if (task.private_hash !== '') return task;
      if (task.private_status === TaskStatus.error) {
        throw new PermanentJobError('the private block could not be released (its task is at 9)');
      }
      if (Date.now() > deadline) {
        // Handed back, not failed: the owner may release later; the next delivery resumes here.
        throw new Error('the private block has not been released yet');
      }
      await sleep(POLL_MS);
    }
  }

  return async function fetchMaster(job: FetchJob, ctx: JobContext): Promise<void> {
    const task = await agent.api.getDownloadTask(job.downloadTaskId);
    if (task.status === TaskStatus.done || task.status === TaskStatus.error) {
      ctx.log.info({ downloadTaskId: task.id, status: task.status }, 'fetch: task already ended');
      return;
    }
    const signer = envelopeSignerDecision({
      job,
      self: agent.secrets.identity,
      ownerKey:
        job.sealer && job.grant
          ? await agent.knownOwners.ownerKeyFor(job.sealer.agent, job.sealer.ownerKey)
          : undefined,
    });
    if (!signer.ok) throw new PermanentJobError(signer.reason);
    const reporter = new TaskReporter(
      'download',
      task,
      (report) => agent.api.reportDownload(job.downloadTaskId, report),
      { minIntervalMs: TRANSFER_REPORT_MS },
    );
    const paths = downloadPaths(agent.settings.downloadDir, job);
    await mkdir(paths.work, { recursive: true, mode: 0o700 });

    // The sealer's node (its peer id is the task's `ip`; it also releases the key) is asked first; the platform's node,
    // which pins every sealed block, is a peer already; routing finds any other holder.
    const network = (...peers: string[]): NetworkRead => ({
      timeoutMs: agent.settings.ipfsFetchTimeoutMs,
      peers: peers.filter((peer) => peer !== ''),
    });
    const expected = job.publicBlock.size;
    if ((await sizeOf(paths.publicBlock)) !== expected) {
      await reporter.step(TaskStatus.downloading);
      const temp = `${paths.publicBlock}.tmp`;
      try {
        await pipeline(
          Readable.from(ipfs.cat(job.publicBlock.hash, { network: network(task.ip) })),
          byteCounter((got) => {
            reporter.progress(
              TaskStatus.downloading,
              expected === 0 ? 100 : (got / expected) * 100,
            );
          }),
          createWriteStream(temp),
        );
      } catch (err) {
        throw retryIfNotFound(err, 'the public block could not be fetched', ctx);
      }
      if ((await sizeOf(temp)) !== expected) {
        throw new PermanentJobError(`the public block is not the ${expected} bytes announced`);
      }
      await rename(temp, paths.publicBlock);
      await reporter.flush();
    }

    let detail = await agent.api.getDownloadTask(job.downloadTaskId);
    if (detail.private_hash === '') {
      await reporter.step(TaskStatus.waitingForAuthorisation);
      detail = await waitForPrivateBlock(job);
    }

    await reporter.step(TaskStatus.downloadingKey);
    const envelope = await readAll(
      ipfs.cat(detail.private_hash, { network: network(detail.ip) }),
      MAX_ENVELOPE_BYTES,
    ).catch((err: unknown) => {
      throw retryIfNotFound(err, 'the private block could not be fetched', ctx);
    });
    let opened;
    try {
      opened = await openKeyEnvelope(envelope, {
        recipient: agent.secrets.identity,
        signer: { id: signer.value.agent, signingPublicKey: signer.value.signingPublicKey },
        sourceUuid: job.uuid,
      });
    } catch (err) {
      throw permanentIfSealed(err, 'the private block cannot be opened');
    }
    const key = opened.privateBlock;
    if (key.publicBlockCid !== undefined && key.publicBlockCid !== job.publicBlock.hash) {
      throw new PermanentJobError(
        `the private block belongs to public block ${key.publicBlockCid}, not ${job.publicBlock.hash}`,
      );
    }
    await recordFetch(agent, job, detail.private_hash, opened.header);

    await reporter.step(TaskStatus.composing);
    try {
      await pipeline(
        createReadStream(paths.publicBlock),
        byteCounter((read) => {
          reporter.progress(TaskStatus.composing, (read / Math.max(1, expected)) * 100);
        }),
        // Every segment's tag is checked here; the whole file's sha256 is the compose step's
        // check (jobs.media.<agent>.compose), so it is not computed twice.
        createOpenStream({
          contentKey: key.contentKey,
          sourceUuid: key.sourceUuid,
          plaintextSize: key.plaintextSize,
          segmentSize: key.segmentSize,
        }),
        createWriteStream(paths.partial, { mode: 0o600 }),
      );
    } catch (err) {
      await rm(paths.partial, { force: true });
      throw permanentIfSealed(err, 'the public block does not open');
    } finally {
      key.contentKey.fill(0);
    }
    await reporter.flush();

    await writeComposePlan(agent.settings.downloadDir, job.downloadTaskId, {
      finalName: basename(paths.final),
      size: key.plaintextSize,
      sha256: Buffer.from(key.plaintextSha256).toString('hex'),
      media: (key.media as MasterMedia | undefined) ?? null,
    });
    const compose: ComposeJob = {
      id: `${job.id}:compose`,
      agent: agent.settings.id,
      downloadTaskId: job.downloadTaskId,
    };
    await publishJob(nc, JobSubjects.compose(agent.settings.id), compose, compose.id);
    ctx.log.info(
      { downloadTaskId: job.downloadTaskId, partial: paths.partial },
      'master decrypted',
    );
  };
}
