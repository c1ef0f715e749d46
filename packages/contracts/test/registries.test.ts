import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  agentJobSubject,
  CommandSubjects,
  eventSubjectOf,
  Events,
  jobSubjectOf,
  Jobs,
  natsPermissions,
  subjectMatches,
  TaskEventSubjects,
  WorkerJobs,
  type NatsIdentity,
} from '../src/index.js';

const identities: NatsIdentity[] = [
  { kind: 'observer' },
  { kind: 'gateway' },
  { kind: 'tasks' },
  { kind: 'assets' },
  { kind: 'ipfs-worker' },
  { kind: 'media-worker' },
  { kind: 'agent', agent: 'studio-1' },
];

const grants = identities.map((identity) => ({ identity, ...natsPermissions(identity) }));

/** The filter subject of a durable consumer a grant lets its user create. */
const consumerFilter = (subject: string): string | undefined =>
  /^\$JS\.API\.CONSUMER\.CREATE\.JOBS\.[^.]+\.(.+)$/.exec(subject)?.[1];

/** Subjects a grant names that are the platform's own (not JetStream API, objects or inboxes). */
const platformSubjects = (subjects: readonly string[]): string[] =>
  subjects.filter((s) => /^(svc|jobs|events)\./.test(s));

const declared = [...Object.values(CommandSubjects), ...Object.keys(Jobs), ...Object.keys(Events)];

describe('subject matching', () => {
  it('follows NATS wildcards', () => {
    expect(subjectMatches('jobs.ipfs.*.seal', 'jobs.ipfs.a-1.seal')).toBe(true);
    expect(subjectMatches('jobs.ipfs.*.seal', 'jobs.ipfs.a.b.seal')).toBe(false);
    expect(subjectMatches('events.>', 'events.tasks.upload.3')).toBe(true);
    expect(subjectMatches('events.>', 'events')).toBe(false);
    expect(subjectMatches('svc.tasks.>', 'svc.tasks.upload.create')).toBe(true);
    expect(subjectMatches('jobs.media.*.compose', 'jobs.media.*.compose')).toBe(true);
    expect(subjectMatches('jobs.media.x.compose', 'jobs.media.*.compose')).toBe(false);
    expect(subjectMatches('jobs.ipfs.add', 'jobs.ipfs.add.more')).toBe(false);
  });
});

describe('kind maps', () => {
  it('names each master task kind by its event subject', () => {
    expect(TaskEventSubjects.upload(7)).toBe('events.tasks.upload.7');
    expect(TaskEventSubjects.download(8)).toBe('events.tasks.download.8');
    expect(TaskEventSubjects.private(9)).toBe('events.tasks.private.9');
  });

  it('names each agent job kind by its subject', () => {
    expect(agentJobSubject('a1', 'seal')).toBe('jobs.ipfs.a1.seal');
    expect(agentJobSubject('a1', 'fetch')).toBe('jobs.ipfs.a1.fetch');
    expect(agentJobSubject('a1', 'release')).toBe('jobs.ipfs.a1.release');
    expect(agentJobSubject('a1', 'composed')).toBe('jobs.ipfs.a1.composed');
  });

  it('finds the registry entry of concrete subjects', () => {
    expect(jobSubjectOf('jobs.ipfs.studio-1.seal')).toBe('jobs.ipfs.*.seal');
    expect(jobSubjectOf('jobs.media.studio-1.compose')).toBe('jobs.media.*.compose');
    expect(jobSubjectOf('jobs.ipfs.add')).toBe('jobs.ipfs.add');
    expect(jobSubjectOf('jobs.ipfs.nothing.here.at.all')).toBeUndefined();
    expect(eventSubjectOf('events.assets.audio.42')).toBe('events.assets.audio.*');
    expect(eventSubjectOf('events.tasks.grant.3')).toBe('events.tasks.grant.*');
    expect(eventSubjectOf('events.tasks.nope.3')).toBeUndefined();
  });
});

describe('registries against NATS permissions', () => {
  it('declares every platform subject some identity may publish, subscribe or consume', () => {
    const named = grants.flatMap((g) => [
      ...platformSubjects(g.publish.allow),
      ...platformSubjects(g.subscribe.allow),
      ...g.publish.allow.flatMap((s) => consumerFilter(s) ?? []),
    ]);
    const undeclared = named.filter(
      (subject) =>
        !declared.some(
          (d) => subjectMatches(subject, d) || subjectMatches(d, subject.replace(/>$/, '*')),
        ),
    );
    expect(undeclared).toEqual([]);
  });

  it('lets someone send every command and someone serve it', () => {
    for (const subject of Object.values(CommandSubjects)) {
      const senders = grants.filter((g) => g.publish.allow.some((p) => subjectMatches(p, subject)));
      const servers = grants.filter((g) =>
        g.subscribe.allow.some((p) => subjectMatches(p, subject)),
      );
      expect(
        senders.map((g) => g.identity.kind),
        subject,
      ).toEqual(['gateway']);
      expect(servers.length, subject).toBeGreaterThan(0);
    }
  });

  it('lets someone enqueue every job and someone consume it', () => {
    const concrete = (pattern: string) => pattern.replace('*', 'studio-1');
    for (const pattern of Object.keys(Jobs)) {
      const subject = concrete(pattern);
      const producers = grants.filter((g) =>
        g.publish.allow.some((p) => subjectMatches(p, subject)),
      );
      const consumers = grants.filter((g) =>
        g.publish.allow.some((p) => {
          const filter = consumerFilter(p);
          return filter !== undefined && subjectMatches(filter, subject);
        }),
      );
      expect(producers.length, pattern).toBeGreaterThan(0);
      expect(consumers.length, pattern).toBeGreaterThan(0);
    }
  });

  it('names the jobs each platform worker serves and the consumer it may create for each', () => {
    expect(WorkerJobs).toEqual({
      assets: { 'jobs.assets.merged': 'assets-merged', 'jobs.assets.cleanup': 'assets-cleanup' },
      'ipfs-worker': {
        'jobs.ipfs.add': 'ipfs-add',
        'jobs.ipfs.unpin': 'ipfs-unpin',
        'jobs.ipfs.pin': 'ipfs-pin',
      },
      'media-worker': { 'jobs.media.merge': 'media-merge' },
    });
    for (const [worker, jobs] of Object.entries(WorkerJobs)) {
      const allowed = natsPermissions({ kind: worker as keyof typeof WorkerJobs }).publish.allow;
      for (const [subject, durable] of Object.entries(jobs)) {
        expect(allowed).toContain(`$JS.API.CONSUMER.CREATE.JOBS.${durable}.${subject}`);
      }
    }
  });

  it('lets some service publish every event', () => {
    for (const pattern of Object.keys(Events)) {
      const subject = pattern.replace('*', '12');
      const publishers = grants.filter((g) =>
        g.publish.allow.some((p) => subjectMatches(p, subject)),
      );
      expect(publishers.map((g) => g.identity.kind).sort(), pattern).toEqual(
        [pattern.startsWith('events.tasks.') ? 'tasks' : 'assets'].sort(),
      );
    }
  });
});

const at = '2026-01-02T03:04:05.000Z';
const audioAsset = {
  id: '12',
  userId: 'alice',
  name: 'a.mp3',
  size: '1000',
  hash: 'a'.repeat(64),
  status: 'SUBMIT',
  reason: '',
  chunkSize: 1024,
  chunkCount: 1,
  merged: true,
  probe: null,
  files: [],
  createdAt: at,
  updatedAt: at,
};
const probe = {
  formatName: 'mp3',
  codec: 'mp3',
  durationMs: 6000,
  bitrate: 128000,
  sampleRate: 44100,
  channels: 2,
};
const task = {
  id: 3,
  status: 0,
  percent: 0,
  series_id: 1,
  source_id: 4,
  source_name: 'film.mov',
  uuid: 'u-1',
  ip: '',
  file: '',
  name: '',
  size: 0,
  hash: '',
  created_at: '2026-01-02 03:04:05',
};
const statusEvent = (type: string, previous: unknown, status: unknown, record: unknown) => ({
  id: 'e-1',
  type,
  at,
  previous_status: previous,
  status,
  record,
});
const grant = {
  id: 5,
  source_id: 4,
  user_id: 'bob',
  granted_by: 'alice',
  not_before: null,
  not_after: null,
  status: 'active',
  valid: true,
  signed_grant: null,
  signed_revocation: null,
  created_at: '2026-01-02 03:04:05',
  updated_at: '2026-01-02 03:04:05',
};
const key = Buffer.alloc(32, 7).toString('base64');
const rawKey = Buffer.alloc(32, 7).toString('base64url');

/** One payload per subject, as the services write them. */
const jobPayloads: Record<keyof typeof Jobs, unknown> = {
  'jobs.ipfs.pin': {
    id: 'j-9',
    cid: 'bafy1',
    peers: ['12D3KooWabc'],
    task: { kind: 'upload', id: 3 },
  },
  'jobs.ipfs.*.seal': {
    id: 'j-1',
    agent: 'studio-1',
    userId: 'alice',
    taskId: 3,
    sourceId: 4,
    uuid: 'u-1',
    sourceName: 'film.mov',
    path: 'in/film.mov',
  },
  'jobs.ipfs.*.fetch': {
    id: 'j-2',
    agent: 'studio-2',
    userId: 'bob',
    downloadTaskId: 6,
    privateTaskId: 7,
    sourceId: 4,
    uuid: 'u-1',
    sourceName: 'film.mov',
    publicBlock: { hash: 'Qm1', name: 'film.pub', size: 10 },
    sealer: { agent: 'studio-1', signingKey: key, ownerKey: key },
    grant: {
      statement: {
        id: '0b6f2a4e-8d3c-4f1a-9e57-2c8d1f6a3b90',
        issued_at: '2026-01-01T00:00:00.000Z',
        source: 'u-1',
        public_block: 'Qm1',
        owner: 'alice',
        sealer: 'studio-1',
        sealer_signing_key: 'a'.repeat(64),
        recipient: 'bob',
        recipient_agent: 'studio-2',
        recipient_public_key: 'b'.repeat(64),
        recipient_signing_key: 'c'.repeat(64),
        not_before: null,
        not_after: '2026-02-01T00:00:00.000Z',
      },
      signature: 'A'.repeat(86),
      owner_key: rawKey,
    },
  },
  'jobs.ipfs.*.release': {
    id: 'j-3',
    agent: 'studio-1',
    ownerId: 'alice',
    privateTaskId: 7,
    downloadTaskId: 6,
    sourceId: 4,
    uuid: 'u-1',
    publicBlockCid: 'Qm1',
    recipient: {
      userId: 'bob',
      agent: 'studio-2',
      peerId: '12D3',
      publicKey: key,
      signingKey: key,
    },
  },
  'jobs.ipfs.*.composed': {
    id: 'j-4:composed',
    agent: 'studio-2',
    downloadTaskId: 6,
    ok: false,
    finalPath: '/dl/film.mov',
    reason: 'sha256 differs',
  },
  'jobs.media.*.compose': { id: 'j-4', agent: 'studio-2', downloadTaskId: 6 },
  'jobs.media.merge': {
    id: 'j-5',
    assetId: '12',
    hash: 'a'.repeat(64),
    size: 1000,
    bucket: 'asset-chunks',
    chunks: [{ index: 0, object: '12/0/x', size: 1000 }],
  },
  'jobs.ipfs.add': {
    id: 'j-6',
    assetId: '12',
    bucket: 'asset-files',
    probe,
    files: [{ file: 0, object: '12/j-5/0', size: 1000, bitrate: 128000, sampleRate: 44100 }],
  },
  'jobs.assets.merged': { id: 'j-5', assetId: '12', ok: false, reason: 'not an mp3 file (wav)' },
  'jobs.assets.cleanup': { id: 'j-7', bucket: 'asset-chunks', objects: ['12/0/x'] },
  'jobs.ipfs.unpin': { id: 'j-8', cids: ['Qm1'] },
};

const eventPayloads: Record<keyof typeof Events, unknown> = {
  'events.tasks.agent.*': statusEvent('agent.registered', null, 'registered', {
    id: 'studio-1',
    user_id: 'alice',
    name: '',
    peer_id: '12D3',
    public_key: key,
    signing_key: key,
    owner_key: key,
    created_at: '2026-01-02 03:04:05',
    updated_at: '2026-01-02 03:04:05',
  }),
  'events.tasks.upload.*': statusEvent('upload.created', null, 0, {
    ...task,
    user_id: 'alice',
    reason: '',
    sealed_by: '',
  }),
  'events.tasks.download.*': statusEvent('download.updated', 0, 4, {
    ...task,
    status: 4,
    private_status: 0,
    private_name: '',
    private_size: 0,
    private_hash: '',
    user_id: 'bob',
    reason: '',
    agent: 'studio-2',
    private_task_id: 7,
  }),
  'events.tasks.private.*': statusEvent('private.created', null, 0, {
    ...task,
    user_id: 'alice',
    reason: '',
    download_task_id: 6,
  }),
  'events.tasks.grant.*': statusEvent('grant.revoked', 'active', 'revoked', {
    ...grant,
    status: 'revoked',
    valid: false,
  }),
  'events.tasks.audit.*': {
    id: 'e-2',
    type: 'audit.appended',
    at,
    source_owner: 'alice',
    record: {
      seq: 2,
      entry_id: 'j-3:release',
      source_id: 4,
      source_uuid: 'u-1',
      kind: 'release',
      at,
      actor: { user_id: 'alice', agent: 'studio-1' },
      data: { envelope_cid: 'bafy1', recipient: { user_id: 'bob', agent: 'studio-2' } },
      prev_hash: 'a'.repeat(64),
      hash: 'b'.repeat(64),
      signature: {
        agent: 'studio-1',
        signing_key: Buffer.alloc(32, 7).toString('base64url'),
        value: Buffer.alloc(64, 9).toString('base64url'),
      },
    },
  },
  'events.assets.audio.*': statusEvent('audio.asset.status', 'MERGING', 'SUBMIT', audioAsset),
};

// TypeBox's Value knows no formats until told; the services check payloads with ajv, which does.
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)) && /T/.test(v));
}

describe('payload schemas', () => {
  it('parse a payload of every job', () => {
    for (const [subject, schema] of Object.entries(Jobs)) {
      const payload = jobPayloads[subject as keyof typeof Jobs];
      expect(
        [...Value.Errors(schema, payload)].map((e) => e.path),
        subject,
      ).toEqual([]);
    }
  });

  it('parse a payload of every event', () => {
    for (const [subject, schema] of Object.entries(Events)) {
      const payload = eventPayloads[subject as keyof typeof Events];
      expect(
        [...Value.Errors(schema, payload)].map((e) => e.path),
        subject,
      ).toEqual([]);
    }
  });

  it('refuse a job without its id and an audio event with an unknown status', () => {
    const { id: _id, ...noId } = jobPayloads['jobs.ipfs.unpin'] as { id: string };
    expect(Value.Check(Jobs['jobs.ipfs.unpin'], noId)).toBe(false);
    expect(
      Value.Check(
        Events['events.assets.audio.*'],
        statusEvent('audio.asset.status', null, 'LOST', audioAsset),
      ),
    ).toBe(false);
  });
});
