/**
 * Agent-addressed film master jobs on the JOBS work queue, enqueued by the tasks service through
 * its outbox (so a job leaves exactly when the change that asks for it commits):
 *   upload task with `path` + `agent`      → jobs.ipfs.<agent>.seal
 *   download task with the caller's agent  → jobs.ipfs.<agent>.fetch
 *   private task of a source an agent sealed → jobs.ipfs.<sealing agent>.release
 * `id` is the job id and the JetStream `Nats-Msg-Id`, so a relayed-again row is not a second job.
 * Subjects come from `JobSubjects` (jobs.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId } from './agents.js';
import { IngestPath, MasterSourceId, MasterTaskId } from './master-tasks.js';
import { UserId } from './principal.js';

const JobId = Type.String({ minLength: 1, description: 'unique job id (Nats-Msg-Id)' });

/** Seal a master found at `path` under the agent's ingest root into public + private blocks. */
export const SealJob = Type.Object({
  id: JobId,
  agent: AgentId,
  userId: UserId,
  taskId: MasterTaskId,
  sourceId: MasterSourceId,
  uuid: Type.String(),
  sourceName: Type.String(),
  path: IngestPath,
});
export type SealJob = Static<typeof SealJob>;

/** Fetch a source's public block for a download task (then wait for the private block). */
export const FetchJob = Type.Object({
  id: JobId,
  agent: AgentId,
  userId: UserId,
  downloadTaskId: MasterTaskId,
  privateTaskId: MasterTaskId,
  sourceId: MasterSourceId,
  uuid: Type.String(),
  sourceName: Type.String(),
  publicBlock: Type.Object({
    hash: Type.String(),
    name: Type.String(),
    size: Type.Number(),
  }),
});
export type FetchJob = Static<typeof FetchJob>;

const GrantTime = Type.Union([Type.String({ description: 'ISO 8601, UTC' }), Type.Null()]);

/**
 * Re-seal a source's private block to the recipient agent's X25519 key, sign it with the sealing
 * agent's key, limit it to the grant window, add it to IPFS and report on the private task.
 */
export const ReleaseJob = Type.Object({
  id: JobId,
  agent: AgentId,
  ownerId: UserId,
  privateTaskId: MasterTaskId,
  downloadTaskId: MasterTaskId,
  sourceId: MasterSourceId,
  uuid: Type.String(),
  recipient: Type.Object({
    userId: UserId,
    agent: AgentId,
    peerId: Type.String(),
    publicKey: Type.String({ description: 'X25519 public key, base64' }),
    signingKey: Type.String({ description: 'Ed25519 public key, base64' }),
  }),
  /** The grant's window; both null when the owner downloads its own source. */
  grant: Type.Object({ notBefore: GrantTime, notAfter: GrantTime }),
});
export type ReleaseJob = Static<typeof ReleaseJob>;

/** Job schema by the last token of its subject, for a worker's exhaustive handler map. */
export const MasterJobSchemas = {
  seal: SealJob,
  fetch: FetchJob,
  release: ReleaseJob,
} as const;
export type MasterJobKind = keyof typeof MasterJobSchemas;
export type MasterJobOf<K extends MasterJobKind> = Static<(typeof MasterJobSchemas)[K]>;
