import type { OutboxEvent } from '@media-vault/service-kit';
import type { SourceRow } from '../db/schema.js';
import { findGrant } from './grant.repository.js';
import { fetchJob, releaseJob, sealJob } from './master.events.js';
import type { DownloadView, UploadView } from './master.mapper.js';
import { agentById, type Db } from './master.reads.js';

export interface DownloadWindow {
  readonly notBefore: Date | null;
  readonly notAfter: Date | null;
}

/**
 * The window a release is limited to: none for the source's owner, else the downloader's grant
 * as it stands (the agent that opens the release enforces it).
 */
export async function windowOf(db: Db, source: SourceRow, userId: string): Promise<DownloadWindow> {
  if (source.userId === userId) return { notBefore: null, notAfter: null };
  const grant = await findGrant(db, source.id, userId);
  return { notBefore: grant?.notBefore ?? null, notAfter: grant?.notAfter ?? null };
}

/** The seal of a source whose upload names an agent and a path; none for a hand upload. */
export function sealJobsOf({ source, upload }: UploadView): OutboxEvent[] {
  if (!source.sealedBy || !source.ingestPath) return [];
  return [
    sealJob({
      agent: source.sealedBy,
      userId: upload.userId,
      taskId: upload.id,
      sourceId: source.id,
      uuid: source.uuid,
      sourceName: source.sourceName,
      path: source.ingestPath,
    }),
  ];
}

/**
 * What the agents do for a download opened with the downloader's agent: that agent fetches, and
 * (with `release`) the source's sealer re-seals the private block to it. The private block can be
 * re-sealed only by the agent whose vault holds it, and only to an agent's key: with no sealer or
 * no downloader agent it is uploaded by hand, as in the seed.
 */
export async function downloadJobsOf(
  db: Db,
  view: DownloadView,
  window: DownloadWindow,
  { fetch, release }: { fetch: boolean; release: boolean },
): Promise<OutboxEvent[]> {
  const { source, upload, download, privateTask } = view;
  if (!download.agent) return [];
  const agent = await agentById(db, download.agent);
  if (!agent) return [];
  const sealer = source.sealedBy ? await agentById(db, source.sealedBy) : undefined;
  const jobs: OutboxEvent[] = [];
  if (fetch) {
    jobs.push(
      fetchJob({
        agent: agent.id,
        userId: download.userId,
        downloadTaskId: download.id,
        privateTaskId: privateTask.id,
        sourceId: source.id,
        uuid: source.uuid,
        sourceName: source.sourceName,
        publicBlock: { hash: upload.hash, name: upload.name, size: upload.size },
        sealer: sealer ? { agent: sealer.id, signingKey: sealer.signingKey } : null,
      }),
    );
  }
  if (release && sealer) {
    jobs.push(
      releaseJob({
        agent: sealer.id,
        ownerId: source.userId,
        privateTaskId: privateTask.id,
        downloadTaskId: download.id,
        sourceId: source.id,
        uuid: source.uuid,
        publicBlockCid: upload.hash,
        recipient: {
          userId: download.userId,
          agent: agent.id,
          peerId: agent.peerId,
          publicKey: agent.publicKey,
          signingKey: agent.signingKey,
        },
        grant: {
          notBefore: window.notBefore?.toISOString() ?? null,
          notAfter: window.notAfter?.toISOString() ?? null,
        },
      }),
    );
  }
  return jobs;
}
