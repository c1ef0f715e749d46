import type {
  AppendAuditBody,
  ComposedJob,
  DownloadTask,
  FetchJob,
  ReleaseJob,
} from '@media-vault/contracts';
import { generateAgentIdentity, verifyAuditSignature } from '@media-vault/sealed';
import { createLogger, PermanentJobError } from '@media-vault/service-kit';
import { TaskApiError, type TaskClient } from '@media-vault/task-client';
import { describe, expect, it } from 'vitest';
import type { AgentContext } from '../src/agent-context.js';
import { recordComposed, recordFetch, recordGiveUp, recordRelease } from '../src/audit-trail.js';
import type { AgentSecrets } from '../src/identity-store.js';

/*
 * What the agent puts in the audit log and how it reacts when the platform does not take it. The
 * real appends, through the gateway and the tasks service, are in sealed-pipeline.test.ts.
 */

const identity = generateAgentIdentity('licensee-agent');

/** An agent whose appends land in `sent`, answered by `answer`. */
function agentWith(answer: (sourceId: number, body: AppendAuditBody) => Promise<unknown>) {
  const sent: { sourceId: number; body: AppendAuditBody }[] = [];
  const api = {
    appendAudit: async (sourceId: number, body: AppendAuditBody) => {
      sent.push({ sourceId, body });
      return answer(sourceId, body);
    },
    getDownloadTask: async (id: number) => ({ ...download, id }),
  } as unknown as TaskClient;
  const agent = {
    settings: { id: identity.id } as AgentContext['settings'],
    secrets: { identity } as AgentSecrets,
    userId: 'licensee',
    api,
  } as AgentContext;
  return { agent, sent };
}

const accepted = async () => ({});

const fetchJob: FetchJob = {
  id: 'job-fetch-1',
  agent: identity.id,
  userId: 'licensee',
  downloadTaskId: 6,
  privateTaskId: 7,
  sourceId: 4,
  uuid: '283509238',
  sourceName: 'ep21.mp4',
  publicBlock: { hash: 'bafypublic', name: 'ep21.mp4', size: 100 },
  sealer: { agent: 'studio-agent', signingKey: 'k'.repeat(43), ownerKey: '' },
  grant: null,
};

const download = {
  id: 6,
  source_id: 4,
  uuid: '283509238',
  hash: 'bafypublic',
  private_hash: 'bafyenvelope',
} as DownloadTask;

const window = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: undefined };

describe('the agent’s audit entries', () => {
  it('are signed by the agent, as its user, over what the service will chain', async () => {
    const { agent, sent } = agentWith(accepted);
    await recordFetch(agent, fetchJob, 'bafyenvelope', window);
    const [{ sourceId, body }] = sent as [(typeof sent)[number]];
    expect(sourceId).toBe(4);
    expect(body).toMatchObject({
      entry_id: 'job-fetch-1:fetch',
      source_uuid: '283509238',
      kind: 'fetch',
      actor: { user_id: 'licensee', agent: identity.id },
      data: {
        download_task_id: 6,
        public_block_cid: 'bafypublic',
        envelope_cid: 'bafyenvelope',
        sealer: 'studio-agent',
        not_before: '2026-01-01T00:00:00.000Z',
        not_after: null,
      },
    });
    expect(body.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(verifyAuditSignature({ ...body, source_id: sourceId }, body.signature)).toBe(true);
    expect(verifyAuditSignature({ ...body, source_id: 5 }, body.signature)).toBe(false);
  });

  it('name the same entry when a job is delivered again, so the log keeps it once', async () => {
    const { agent, sent } = agentWith(accepted);
    await recordFetch(agent, fetchJob, 'bafyenvelope', window);
    await recordFetch(agent, fetchJob, 'bafyenvelope', window);
    expect(sent.map((s) => s.body.entry_id)).toEqual(['job-fetch-1:fetch', 'job-fetch-1:fetch']);
  });

  it('tell two envelopes of one release apart, as a release run again seals a new one', async () => {
    const { agent, sent } = agentWith(accepted);
    const job = {
      id: 'job-release-1',
      sourceId: 4,
      uuid: '283509238',
      privateTaskId: 7,
      downloadTaskId: 6,
      publicBlockCid: 'bafypublic',
      recipient: { userId: 'licensee', agent: identity.id },
    } as ReleaseJob;
    const grant = {
      statementId: '0b6f2a4e-8d3c-4f1a-9e57-2c8d1f6a3b90',
      notAfter: new Date('2030-01-01T00:00:00.000Z'),
    };
    await recordRelease(agent, job, 'bafyfirst', grant);
    await recordRelease(agent, job, 'bafysecond', grant);
    expect(sent.map((s) => s.body.entry_id)).toEqual([
      'job-release-1:release:bafyfirst',
      'job-release-1:release:bafysecond',
    ]);
  });

  it("record the compose step's verdict, a failure with its reason and nothing of the file", async () => {
    const { agent, sent } = agentWith(accepted);
    const verdict = { id: 'job-fetch-1:compose:composed', agent: identity.id, downloadTaskId: 6 };
    await recordComposed(agent, { ...verdict, ok: true, finalPath: '/dl/ep21.mp4' }, download);
    await recordComposed(
      agent,
      { ...verdict, ok: false, finalPath: '/dl/ep21.mp4', reason: 'sha256 differs' } as ComposedJob,
      download,
    );
    expect(sent.map((s) => [s.body.entry_id, s.body.kind, s.body.data])).toEqual([
      [
        'job-fetch-1:compose:composed:compose',
        'compose',
        { download_task_id: 6, public_block_cid: 'bafypublic', envelope_cid: 'bafyenvelope' },
      ],
      [
        'job-fetch-1:compose:composed:failure',
        'failure',
        { task: 'download', task_id: 6, job: 'compose', reason: 'sha256 differs' },
      ],
    ]);
  });
});

describe('when the platform does not take an entry', () => {
  const refused = () => Promise.reject(new TaskApiError(400, 'signature: does not verify'));
  const unreachable = () => Promise.reject(new TaskApiError(undefined, 'cannot reach'));
  const log = createLogger('test', 'silent');

  it('a refusal ends the job for good, so its task ends in 9 with the reason', async () => {
    const { agent } = agentWith(refused);
    const err = await recordFetch(agent, fetchJob, 'bafyenvelope', window).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentJobError);
    expect((err as Error).message).toBe(
      'the audit log refused the fetch entry: signature: does not verify',
    );
  });

  it('an append that failed for now fails the job, which comes back', async () => {
    const { agent } = agentWith(unreachable);
    const err = await recordFetch(agent, fetchJob, 'bafyenvelope', window).catch((e) => e);
    expect(err).toBeInstanceOf(TaskApiError);
    expect(err).not.toBeInstanceOf(PermanentJobError);
  });

  it('a give-up records its failure, retries one that failed for now, and logs a refusal', async () => {
    const ok = agentWith(accepted);
    await recordGiveUp(ok.agent, log, 'fetch', fetchJob, 'no outcome after 5 deliveries');
    expect(ok.sent[0]!.body).toMatchObject({
      entry_id: 'job-fetch-1:failure',
      kind: 'failure',
      data: { task: 'download', task_id: 6, job: 'fetch', reason: 'no outcome after 5 deliveries' },
    });
    // A verdict names only the download: its source comes from the task.
    const verdict = { id: 'v-1', agent: identity.id, downloadTaskId: 6, ok: false, finalPath: '' };
    await recordGiveUp(ok.agent, log, 'composed', verdict, 'gone');
    expect(ok.sent[1]).toMatchObject({ sourceId: 4, body: { source_uuid: '283509238' } });

    await expect(
      recordGiveUp(agentWith(unreachable).agent, log, 'fetch', fetchJob, 'x'),
    ).rejects.toBeInstanceOf(TaskApiError);
    await expect(
      recordGiveUp(agentWith(refused).agent, log, 'fetch', fetchJob, 'x'),
    ).resolves.toBeUndefined();
  });
});
