import { TaskStatus, type SealJob } from '@media-vault/contracts';
import type { IpfsPort } from '@media-vault/ipfs';
import {
  createSealStream,
  isSealedFormatError,
  privateBlockOf,
  sealVaultCopy,
} from '@media-vault/sealed';
import { PermanentJobError, type JobContext } from '@media-vault/service-kit';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { AgentContext } from './agent-context.js';
import { withContentKey } from './content-key.js';
import { resolveIngestPath } from './ingest-path.js';
import { MasterReader } from './master-reader.js';
import { probeSealedMaster } from './media-probe.js';
import { TaskReporter } from './task-reporter.js';

/**
 * The master is not the file that was hashed any more: its size moved (`truncated`,
 * `trailing-data`) or a segment's bytes did (`plaintext-changed`). The reason goes to the
 * platform, so it names the path the job gave and nothing read from the file.
 */
function changedWhileSealing(jobPath: string, cause?: unknown): PermanentJobError {
  return new PermanentJobError(`${jobPath} changed while it was being sealed`, { cause });
}

const rethrowAsChanged = (jobPath: string) => (err: unknown) => {
  const changed =
    isSealedFormatError(err, 'truncated') ||
    isSealedFormatError(err, 'trailing-data') ||
    isSealedFormatError(err, 'plaintext-changed');
  throw changed ? changedWhileSealing(jobPath, err) : err;
};

/**
 * jobs.ipfs.<agent>.seal: the master under the ingest root becomes a public block on IPFS
 * (segments encrypted as they stream from disk into the add, never whole in memory) and a private
 * block in the vault. Reports 1 (probing, then hashing the file with percent), 2 with percent
 * (encrypting and adding), 3 (pinning, writing the vault), then 8 with the public block's name,
 * folder, hash, size and this agent's peer id. The content key derives from the agent's secret
 * and the file's sha256, so a rerun after a crash yields the same CID: the pin is not doubled
 * and passed steps are not re-reported. The file is read twice, and the second read must be the
 * bytes of the first, segment by segment, or the task ends in 9 and no vault copy is written.
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
    const fileStat = await stat(path, { bigint: true });
    const size = Number(fileStat.size);
    const { segmentSize } = agent.settings;
    const percentOf = (read: number) => (size === 0 ? 100 : (read / size) * 100);

    await reporter.step(TaskStatus.chunking);
    const media = await probeSealedMaster(agent.media, path);
    const reader = new MasterReader(segmentSize);
    const digested = await reader
      .digest(path, { plaintextSize: size, segmentSize }, (read) =>
        reporter.progress(TaskStatus.chunking, percentOf(read)),
      )
      .catch(rethrowAsChanged(job.path));
    await reporter.flush();

    const { block, cid, vaultPath } = await withContentKey(
      agent.secrets.contentKeySecret,
      job,
      digested,
      async (contentKey) => {
        const sealer = createSealStream({
          contentKey,
          sourceUuid: job.uuid,
          plaintextSize: size,
          segmentSize,
          digested,
        });

        await reporter.step(TaskStatus.encrypting);
        let added: { cid: string; size: number } | undefined;
        await reader
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
        // Each segment matched the first pass before it was encrypted; a file touched meanwhile,
        // even back to the same bytes, is still not sealed.
        const after = await stat(path, { bigint: true });
        const layout = sealer.result;
        if (after.mtimeNs !== fileStat.mtimeNs || after.size !== fileStat.size) {
          throw changedWhileSealing(job.path);
        }
        const publicBlock = added!;
        if (publicBlock.size !== layout.publicBlockSize) {
          throw new Error(
            `IPFS took ${publicBlock.size} bytes of public block, expected ${layout.publicBlockSize}`,
          );
        }

        const folder = basename(dirname(job.path));
        const block = {
          name: basename(path),
          file: folder === '.' ? '' : folder,
          size: publicBlock.size,
          ip: agent.peerId,
        };
        await reporter.step(TaskStatus.uploading, block);
        await ipfs.pin(publicBlock.cid);
        const privateBlock = privateBlockOf({
          sourceUuid: job.uuid,
          contentKey,
          sealed: layout,
          media,
          publicBlockCid: publicBlock.cid,
        });
        const vaultPath = await agent.vault.write(
          job.uuid,
          publicBlock.cid,
          await sealVaultCopy(privateBlock, agent.secrets.identity),
        );
        return { block, cid: publicBlock.cid, vaultPath };
      },
    );
    await reporter.step(TaskStatus.done, { ...block, hash: cid }, 100);
    ctx.log.info({ sourceId: job.sourceId, cid, size: block.size, vaultPath }, 'master sealed');
  };
}
