import { describe, expect, it } from 'vitest';
import type { SignedGrant } from '@media-vault/contracts';
import type {
  AgentRow,
  DownloadTaskRow,
  PrivateTaskRow,
  SourceRow,
  UploadTaskRow,
} from '../src/db/schema.js';
import { downloadJobsOf, grantEvent, sealJobsOf, taskEvent } from '../src/master/master.events.js';

const T = new Date('2026-01-02T03:04:05Z');
const source: SourceRow = {
  id: 11,
  userId: 'owner',
  seriesId: 233,
  uuid: 'uuid-11',
  sourceName: 'ep21.mov',
  ingestPath: 'studio/ep21.mov',
  sealedBy: 'owner-agent',
  createdAt: T,
  deletedAt: null,
};
const block = { ip: '', file: '', name: 'pub.bin', size: 1024, hash: 'QmPub', reason: '' };
const upload: UploadTaskRow = {
  id: 21,
  sourceId: 11,
  userId: 'owner',
  status: 8,
  percent: 100,
  ...block,
  createdAt: T,
  updatedAt: T,
};
const download: DownloadTaskRow = {
  id: 31,
  sourceId: 11,
  userId: 'viewer',
  agent: 'viewer-agent',
  status: 0,
  percent: 0,
  privateStatus: 0,
  privateName: '',
  privateSize: 0,
  privateHash: '',
  reason: '',
  createdAt: T,
  updatedAt: T,
};
const privateTask: PrivateTaskRow = {
  id: 41,
  downloadId: 31,
  sourceId: 11,
  userId: 'owner',
  status: 0,
  percent: 0,
  ...block,
  name: '',
  size: 0,
  hash: '',
  createdAt: T,
  updatedAt: T,
};
const agentRow = (id: string, userId: string): AgentRow => ({
  id,
  userId,
  name: '',
  peerId: `peer-of-${id}`,
  ownerKey: '',
  publicKey: `pk-of-${id}`,
  signingKey: `sk-of-${id}`,
  createdAt: T,
  updatedAt: T,
});
const viewerAgent = agentRow('viewer-agent', 'viewer');
const ownerAgent = agentRow('owner-agent', 'owner');
const view = { source, upload, download, privateTask };
/** Its shape is all that matters here: the agents verify the signature, not this function. */
const grant = {
  statement: { id: '0b6f2a4e-8d3c-4f1a-9e57-2c8d1f6a3b90' },
  signature: 'sig',
  owner_key: 'owner-key',
} as unknown as SignedGrant;
const both = { fetch: true, release: true };

const fetchPayload = {
  agent: 'viewer-agent',
  userId: 'viewer',
  downloadTaskId: 31,
  privateTaskId: 41,
  sourceId: 11,
  uuid: 'uuid-11',
  sourceName: 'ep21.mov',
  publicBlock: { hash: 'QmPub', name: 'pub.bin', size: 1024 },
  sealer: { agent: 'owner-agent', signingKey: 'sk-of-owner-agent', ownerKey: '' },
  grant,
};
const releasePayload = {
  agent: 'owner-agent',
  ownerId: 'owner',
  privateTaskId: 41,
  downloadTaskId: 31,
  sourceId: 11,
  uuid: 'uuid-11',
  publicBlockCid: 'QmPub',
  recipient: {
    userId: 'viewer',
    agent: 'viewer-agent',
    peerId: 'peer-of-viewer-agent',
    publicKey: 'pk-of-viewer-agent',
    signingKey: 'sk-of-viewer-agent',
  },
};

// Only the id and status matter to the envelope; the rest of a record is the mapper's business.
const bare = (id: number, status: number) => ({ id, status }) as never;

describe('taskEvent', () => {
  it('a new task: created, no previous status, on the kind subject', () => {
    const record = bare(41, 0);
    expect(taskEvent('private', record, null)).toEqual({
      subject: 'events.tasks.private.41',
      payload: {
        id: expect.any(String),
        type: 'private.created',
        at: expect.any(String),
        previous_status: null,
        status: 0,
        record,
      },
    });
  });

  it('a change: updated, with the status before and after', () => {
    expect(taskEvent('download', bare(31, 4), 0)).toMatchObject({
      subject: 'events.tasks.download.31',
      payload: { type: 'download.updated', previous_status: 0, status: 4 },
    });
    expect(taskEvent('upload', bare(21, 9), 9)).toMatchObject({
      subject: 'events.tasks.upload.21',
      payload: { type: 'upload.updated', previous_status: 9, status: 9 },
    });
  });
});

describe('grantEvent', () => {
  const grant = {
    id: 51,
    source_id: 11,
    user_id: 'viewer',
    granted_by: 'owner',
    not_before: null,
    not_after: null,
    status: 'active' as const,
    valid: true,
    signed_grant: null,
    signed_revocation: null,
    created_at: '2026-01-02 03:04:05',
    updated_at: '2026-01-02 03:04:05',
  };
  it.each([
    [grant, null, 'grant.created'],
    [grant, 'revoked' as const, 'grant.updated'],
    [grant, 'active' as const, 'grant.updated'],
    [{ ...grant, status: 'revoked' as const, valid: false }, 'active' as const, 'grant.revoked'],
  ])('%j after %j is %s', (record, previous, type) => {
    expect(grantEvent(record, previous)).toMatchObject({
      subject: 'events.tasks.grant.51',
      payload: { type, previous_status: previous, status: record.status, record },
    });
  });
});

describe('sealJobsOf', () => {
  it('a source with a sealer and a path: one seal job to that agent', () => {
    expect(sealJobsOf({ source, upload })).toEqual([
      {
        subject: 'jobs.ipfs.owner-agent.seal',
        payload: expect.objectContaining({
          agent: 'owner-agent',
          userId: 'owner',
          taskId: 21,
          sourceId: 11,
          uuid: 'uuid-11',
          sourceName: 'ep21.mov',
          path: 'studio/ep21.mov',
        }),
      },
    ]);
  });

  it('a hand upload (no sealer or no path): none', () => {
    expect(sealJobsOf({ source: { ...source, sealedBy: null, ingestPath: null }, upload })).toEqual(
      [],
    );
    expect(sealJobsOf({ source: { ...source, ingestPath: null }, upload })).toEqual([]);
    expect(sealJobsOf({ source: { ...source, sealedBy: null }, upload })).toEqual([]);
  });
});

describe('downloadJobsOf', () => {
  const subjects = (jobs: { subject: string }[]) => jobs.map((j) => j.subject);

  it("fetch to the downloader's agent with its signed grant, release to the sealer", () => {
    expect(downloadJobsOf(view, { agent: viewerAgent, sealer: ownerAgent }, grant, both)).toEqual([
      { subject: 'jobs.ipfs.viewer-agent.fetch', payload: expect.objectContaining(fetchPayload) },
      {
        subject: 'jobs.ipfs.owner-agent.release',
        payload: expect.objectContaining(releasePayload),
      },
    ]);
  });

  it("an owner's own download carries no grant, and the release job never carries one", () => {
    const [fetch, release] = downloadJobsOf(
      view,
      { agent: viewerAgent, sealer: ownerAgent },
      null,
      both,
    );
    expect(fetch?.payload).toMatchObject({ grant: null });
    expect(release?.payload).not.toHaveProperty('grant');
  });

  it('only what is asked: a retried download fetches, a retried private block releases', () => {
    const agents = { agent: viewerAgent, sealer: ownerAgent };
    expect(subjects(downloadJobsOf(view, agents, grant, { fetch: true, release: false }))).toEqual([
      'jobs.ipfs.viewer-agent.fetch',
    ]);
    expect(subjects(downloadJobsOf(view, agents, grant, { fetch: false, release: true }))).toEqual([
      'jobs.ipfs.owner-agent.release',
    ]);
  });

  it('no sealer: the agent fetches and the private block is uploaded by hand', () => {
    const jobs = downloadJobsOf(view, { agent: viewerAgent, sealer: undefined }, grant, both);
    expect(jobs).toEqual([
      {
        subject: 'jobs.ipfs.viewer-agent.fetch',
        payload: expect.objectContaining({ ...fetchPayload, sealer: null }),
      },
    ]);
  });

  it('no downloader agent: no job at all', () => {
    expect(downloadJobsOf(view, { agent: undefined, sealer: ownerAgent }, grant, both)).toEqual([]);
  });
});
