import { TaskStatus, type SealJob } from '@media-vault/contracts';
import type { IpfsPort } from '@media-vault/ipfs';
import { createSealStream, privateBlockOf, sealVaultCopy } from '@media-vault/sealed';
import { PermanentJobError, type JobContext } from '@media-vault/service-kit';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AgentContext } from './agent-context.js';
import { byteCounter } from './byte-counter.js';
import { contentKeyFor } from './content-key.js';
import { resolveIngestPath } from './ingest-path.js';
import { probeSealedMaster } from './media-probe.js';
import { TaskReporter } from './task-reporter.js';

/**
 * jobs.ipfs.<agent>.seal: the master under the ingest root becomes a public block on IPFS
 * (segments encrypted as they stream from disk into the add, never whole in memory) and a private
 * block in the vault. Reports 1 (probing and planning segments), 2 with percent (encrypting and
 * adding), 3 (pinning, writing the vault), then 8 with the public block's name, folder, hash,
 * size and this agent's peer id. The content key derives from the agent's secret, so a rerun
 * after a crash yields the same CID: the pin is not doubled and passed steps are not re-reported.
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

    await reporter.step(TaskStatus.chunking);
    const media = await probeSealedMaster(agent.media, path);
    const contentKey = contentKeyFor(agent.secrets.contentKeySecret, job, fileStat);
    const sealer = createSealStream({
      contentKey,
      sourceUuid: job.uuid,
      plaintextSize: size,
      segmentSize: agent.settings.segmentSize,
    });

    await reporter.step(TaskStatus.encrypting);
    let added: { cid: string; size: number } | undefined;
    await pipeline(
      createReadStream(path),
      byteCounter((read) => {
        reporter.progress(TaskStatus.encrypting, size === 0 ? 100 : (read / size) * 100);
      }),
      sealer,
      async (ciphertext: AsyncIterable<Uint8Array>) => {
        added = await ipfs.add(ciphertext);
      },
    );
    await reporter.flush();
    const after = await stat(path, { bigint: true });
    if (after.mtimeNs !== fileStat.mtimeNs || after.size !== fileStat.size) {
      throw new PermanentJobError(`${job.path} changed while it was being sealed`);
    }
    const publicBlock = added!;
    const layout = sealer.result;
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
    await reporter.step(TaskStatus.done, { ...block, hash: publicBlock.cid }, 100);
    ctx.log.info(
      { sourceId: job.sourceId, cid: publicBlock.cid, size: publicBlock.size, vaultPath },
      'master sealed',
    );
  };
}
