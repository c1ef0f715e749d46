import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import {
  AppendAuditBody,
  AuditCommandSubjects,
  AuditEntry,
  chunkObjectKey,
  chunkObjectsPrefix,
  CleanupJob,
  CommandSubjects,
  Commands,
  ErrorKinds,
  errorKindOf,
  EventSubjects,
  isTaskStatus,
  RegisterAgentBody,
  seedTimestamp,
  TaskStatusNames,
  VaultError,
} from '../src/index.js';

describe('subjects', () => {
  it('builds event subjects from record ids', () => {
    expect(EventSubjects.agent('studio-1')).toBe('events.tasks.agent.studio-1');
    expect(EventSubjects.uploadTask(233)).toBe('events.tasks.upload.233');
    expect(EventSubjects.audioAsset('9007199254740993')).toBe(
      'events.assets.audio.9007199254740993',
    );
  });

  it('refuses ids that would change the subject', () => {
    expect(() => EventSubjects.agent('a.b')).toThrow(/subject token/);
    expect(() => EventSubjects.agent('a*')).toThrow(/subject token/);
    expect(() => EventSubjects.agent('>')).toThrow(/subject token/);
  });

  it('has a request and response schema for every command', () => {
    for (const subject of Object.values(CommandSubjects)) {
      expect(Commands[subject].request).toBeDefined();
      expect(Commands[subject].response).toBeDefined();
      expect(subject).toMatch(/^svc\.[a-z]+\.[a-z.]+$/);
    }
  });
});

describe('audit log', () => {
  const body = {
    entry_id: 'job-1:fetch',
    source_uuid: '283509238',
    kind: 'fetch',
    at: '2026-01-01T00:05:00.123Z',
    actor: { user_id: 'bob', agent: 'lic-1' },
    data: { envelope_cid: 'bafy1', recipient: { agent: 'lic-1' } },
    signature: {
      agent: 'lic-1',
      signing_key: Buffer.alloc(32, 7).toString('base64url'),
      value: Buffer.alloc(64, 9).toString('base64url'),
    },
  };

  it('is append-only: its commands read and append, none changes or removes an entry', () => {
    expect(Object.values(AuditCommandSubjects).sort()).toEqual([
      'svc.tasks.audit.append',
      'svc.tasks.audit.list',
    ]);
  });

  it("takes an agent's signed entry, and only of the kinds agents append", () => {
    expect(Value.Check(AppendAuditBody, body)).toBe(true);
    for (const kind of ['grant', 'revoke', 'seal']) {
      expect(Value.Check(AppendAuditBody, { ...body, kind }), kind).toBe(false);
    }
    const { signature: _signature, ...unsigned } = body;
    expect(Value.Check(AppendAuditBody, unsigned)).toBe(false);
    expect(Value.Check(AppendAuditBody, { ...body, data: [] })).toBe(false);
    expect(Value.Check(AppendAuditBody, { ...body, at: '2026-01-01T00:05:00Z' })).toBe(false);
    expect(Value.Check(AppendAuditBody, { ...body, seq: 3 })).toBe(false);
  });

  it("shows the platform's own entries without a signature", () => {
    const { signature: _signature, ...fields } = body;
    const entry = {
      ...fields,
      kind: 'grant',
      actor: { user_id: 'alice' },
      seq: 1,
      source_id: 4,
      prev_hash: '0'.repeat(64),
      hash: 'a'.repeat(64),
    };
    expect(Value.Check(AuditEntry, entry)).toBe(true);
    expect(Value.Check(AuditEntry, { ...entry, hash: 'A'.repeat(64) })).toBe(false);
  });
});

describe('errors', () => {
  it('maps every code back to its kind and unknown codes to internal', () => {
    for (const [kind, v] of Object.entries(ErrorKinds)) expect(errorKindOf(v.code)).toBe(kind);
    expect(errorKindOf(999)).toBe('internal');
  });

  it('keeps codes unique', () => {
    const codes = Object.values(ErrorKinds).map((k) => k.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('carries kind and code on VaultError', () => {
    const err = new VaultError('conflict', 'status 8 cannot go to 1');
    expect(err.code).toBe(409);
    expect(err.message).toBe('status 8 cannot go to 1');
  });
});

describe('task status', () => {
  it('knows the ten seed statuses', () => {
    expect(Object.keys(TaskStatusNames)).toHaveLength(10);
    expect(TaskStatusNames[0]).toBe('未开始');
    expect(TaskStatusNames[9]).toBe('出现错误');
    expect(isTaskStatus(9)).toBe(true);
    expect(isTaskStatus(10)).toBe(false);
    expect(isTaskStatus(1.5)).toBe(false);
  });

  it('writes timestamps like the seed', () => {
    expect(seedTimestamp(new Date('2018-05-06T12:00:00.123Z'))).toBe('2018-05-06 12:00:00');
  });
});

describe('agent registration schema', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const valid = { id: 'studio-agent_1', peer_id: '12D3KooW', public_key: key, signing_key: key };

  it('accepts base64 and base64url keys', () => {
    expect(Value.Check(RegisterAgentBody, valid)).toBe(true);
    const url = Buffer.alloc(32, 250).toString('base64url');
    expect(Value.Check(RegisterAgentBody, { ...valid, public_key: url })).toBe(true);
  });

  it('refuses ids that are not subject tokens and keys of the wrong length', () => {
    expect(Value.Check(RegisterAgentBody, { ...valid, id: 'a.b.c' })).toBe(false);
    expect(Value.Check(RegisterAgentBody, { ...valid, id: 'has space' })).toBe(false);
    expect(Value.Check(RegisterAgentBody, { ...valid, public_key: 'c2hvcnQ=' })).toBe(false);
    expect(Value.Check(RegisterAgentBody, { ...valid, signing_key: undefined })).toBe(false);
  });
});

describe('cleanup jobs', () => {
  const job = { id: 'j1', bucket: 'asset-chunks', objects: [] };
  // The prefix deletes every object under it: one asset's, never the bucket or a path.
  it.each([
    ['42/', true],
    ['9007199254740993/', true],
    ['', false],
    ['/', false],
    ['42', false],
    ['42/1/', false],
    ['../', false],
    ['042/', false],
    ['4*/', false],
  ])('prefix %j is accepted: %s', (prefix, accepted) => {
    expect(Value.Check(CleanupJob, { ...job, prefix })).toBe(accepted);
  });

  it('names an asset the way chunk keys do', () => {
    expect(chunkObjectKey(42n, 3, 'a').startsWith(chunkObjectsPrefix(42n))).toBe(true);
    expect(Value.Check(CleanupJob, { ...job, prefix: chunkObjectsPrefix(42n) })).toBe(true);
  });
});
