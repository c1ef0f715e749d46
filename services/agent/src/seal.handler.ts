import { TaskStatus, type SealJob } from '@media-vault/contracts';
import { IpfsNotFoundError, type IpfsPort } from '@media-vault/ipfs';
import {
  createSealStream,
  generateContentKey,
  isSealedFormatError,
  openVaultCopy,
  privateBlockOf,
  sealedLayout,
  sealVaultCopy,
} from '@media-vault/sealed';
import { PermanentJobError, type JobContext } from '@media-vault/service-kit';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { AgentContext } from './agent-context.js';
import { resolveIngestPath } from './ingest-path.js';
import { MasterReader } from './master-reader.js';
import { probeSealedMaster } from './media-probe.js';
import { TaskReporter } from './task-reporter.js';

/**
 * The master is not the file that was stat'ed any more: its size moved (`truncated`,
 * `trailing-data`) or it was written to while being read. The reason goes to the platform, so
 * it names the path the job gave and nothing read from the file.
 */
function changedWhileSealing(jobPath: string, cause?: unknown): PermanentJobError {
  return new PermanentJobError(`${jobPath} changed while it was being sealed`, { cause });
}

const rethrowAsChanged = (jobPath: string) => (err: unknown) => {
  const changed =
    isSealedFormatError(err, 'truncated') || isSealedFormatError(err, 'trailing-data');
  throw changed ? changedWhileSealing(jobPath, err) : err;
};

interface Sealed {
  readonly cid: string;
  readonly size: number;
}

/**
 * The public block an earlier delivery of this seal already recorded in the vault and that this
 * node still holds, pinned now; undefined when there is none. A copy whose blocks are gone was
 * never pinned (the pin comes after the copy is written, and pinned blocks are not collected),
 * so it was never reported either: it is passed over and the master sealed afresh. It stays in
 * the vault, since nothing can be opened with it any more but a key is never thrown away here.
 */
async function pinRecordedSeal(
  agent: AgentContext,
  ipfs: IpfsPort,
  uuid: string,
): Promise<Sealed | undefined> {
  for (const cid of await agent.vault.cidsOf(uuid)) {
    const envelope = await agent.vault.read(uuid, cid);
    if (!envelope) continue;
    // Opened rather than trusted by its name: the copy must be this agent's, for this source.
    const recorded = await openVaultCopy(envelope, agent.secrets.identity, uuid);
    recorded.contentKey.fill(0);
    if (recorded.publicBlockCid !== cid) {
      throw new Error(`the vault copy of ${uuid} under ${cid} names ${recorded.publicBlockCid}`);
    }
    try {
      // Local only: a block this node lost is not fetched from the network.
      await ipfs.pin(cid);
    } catch (err) {
      if (err instanceof IpfsNotFoundError) continue;
      throw err;
    }
    const { publicBlockSize } = sealedLayout(recorded.plaintextSize, recorded.segmentSize);
    return { cid, size: publicBlockSize };
  }
  return undefined;
}

/**
 * jobs.ipfs.<agent>.seal: the master under the ingest root becomes a public block on IPFS
 * (segments encrypted as they stream from disk into the add, never whole in memory) and a private
 * block in the vault. Reports 1 (probing), 2 with percent (encrypting, hashing and adding, in one
 * read of the file), 3 (writing the vault, pinning), then 8 with the public block's name, folder,
 * hash, size and this agent's peer id.
 *
 * The content key is drawn at random for every attempt, so no key ever encrypts two plaintexts
 * under the same segment nonces, whatever happens to the file meanwhile; what the private block
 * records (sha256, sizes) is what this one pass read and encrypted. Redelivery stays idempotent
 * through the vault: the copy holding the key and the CID is written before the pin, so a
 * delivery after a crash finds it, pins that CID (a no-op when already pinned) and reports it
 * without sealing again. A crash before the copy was written leaves blocks nobody pinned and no
 * CID reported; the next delivery seals afresh under a new key and Kubo's GC takes the old blocks.
 * Deliveries of one job must not run at the same time (JetStream holds a job while it is
 * worked on), or both could seal.
 */
export function sealHandler(agent: AgentContext, ipfs: IpfsPort) {
  return async function seal(job: SealJob, ctx: JobContext): Promise<void> {
    const source = await agent.api.getSource(job.sourceId);
    if (source.status === TaskStatus.done || source.status === TaskStatus.error) {
      ctx.log.info({ sourceId: job.sourceId, status: source.status }, 'seal: task already ended');
      return;
    }
    const reporter = new TaskReporter('upload', source, (report) =>
      agent.api.reportUpload(job.taskId, report),
    );
    const path = await resolveIngestPath(agent.settings.ingestRoot, job.path);
    const folder = basename(dirname(job.path));
    const blockOf = (size: number) => ({
      name: basename(path),
      file: folder === '.' ? '' : folder,
      size,
      ip: agent.peerId,
    });

    const recorded = await pinRecordedSeal(agent, ipfs, job.uuid);
    if (recorded) {
      const block = blockOf(recorded.size);
      await reporter.step(TaskStatus.uploading, block);
      await reporter.step(TaskStatus.done, { ...block, hash: recorded.cid }, 100);
      ctx.log.info({ sourceId: job.sourceId, cid: recorded.cid }, 'seal: recorded seal pinned');
      return;
    }

    const fileStat = await stat(path, { bigint: true });
    const size = Number(fileStat.size);
    const { segmentSize } = agent.settings;
    const percentOf = (read: number) => (size === 0 ? 100 : (read / size) * 100);

    await reporter.step(TaskStatus.chunking);
    const media = await probeSealedMaster(agent.media, path);

    const contentKey = generateContentKey();
    try {
      const sealer = createSealStream({
        contentKey,
        sourceUuid: job.uuid,
        plaintextSize: size,
        segmentSize,
      });
      await reporter.step(TaskStatus.encrypting);
      let added: Sealed | undefined;
      await new MasterReader(segmentSize)
        .seal(
          path,
          sealer,
          async (ciphertext) => {
            added = await ipfs.add(ciphertext);
          },
          (read) => reporter.progress(TaskStatus.encrypting, percentOf(read)),
        )
        .catch(rethrowAsChanged(job.path));
      await reporter.flush();
      // The seal stays consistent with itself whatever the file did (its sha256 is of the bytes
      // encrypted), but a master touched while it was read is not the one the job named: bytes
      // from before and after a write would be sealed together.
      const after = await stat(path, { bigint: true });
      if (after.mtimeNs !== fileStat.mtimeNs || after.size !== fileStat.size) {
        throw changedWhileSealing(job.path);
      }
      const layout = sealer.result;
      const publicBlock = added!;
      if (publicBlock.size !== layout.publicBlockSize) {
        throw new Error(
          `IPFS took ${publicBlock.size} bytes of public block, expected ${layout.publicBlockSize}`,
        );
      }

      const block = blockOf(publicBlock.size);
      await reporter.step(TaskStatus.uploading, block);
      const privateBlock = privateBlockOf({
        sourceUuid: job.uuid,
        contentKey,
        sealed: layout,
        media,
        publicBlockCid: publicBlock.cid,
      });
      // The copy first: a crash after the pin and before the copy would leave a pinned block
      // whose key is lost; a crash after the copy is finished by the next delivery's pin.
      const vaultPath = await agent.vault.write(
        job.uuid,
        publicBlock.cid,
        await sealVaultCopy(privateBlock, agent.secrets.identity),
      );
      await ipfs.pin(publicBlock.cid);
      await reporter.step(TaskStatus.done, { ...block, hash: publicBlock.cid }, 100);
      ctx.log.info(
        { sourceId: job.sourceId, cid: publicBlock.cid, size: block.size, vaultPath },
        'master sealed',
      );
    } finally {
      contentKey.fill(0);
    }
  };
}
