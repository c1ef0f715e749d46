/**
 * Agent-addressed film master jobs on the JOBS work queue, enqueued by the tasks service through
 * its outbox (so a job leaves exactly when the change that asks for it commits):
 *   upload task with `path` + `agent`      → jobs.ipfs.<agent>.seal
 *   download task with the caller's agent  → jobs.ipfs.<agent>.fetch
 *   private task of a source an agent sealed → jobs.ipfs.<sealing agent>.release
 * and by the downloader's agent once it has decrypted a master:
 *   composed file to verify                 → jobs.media.<agent>.compose
 * `id` is the job id and the JetStream `Nats-Msg-Id`, so a relayed-again row is not a second job.
 * Subjects come from `JobSubjects` (jobs.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { AgentId } from './agents.js';
import { SignedGrant } from './grant-statements.js';
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

/** Ed25519 public key, base64 (as the agents API stores it). */
const SigningKey = Type.String({ description: 'Ed25519 public key, base64' });

/**
 * Fetch a source's public block for a download task, wait for the private block, open it and
 * decrypt. `sealer` is whose signature the released private block must carry; null when the
 * source was not sealed by an agent (then nothing can be composed automatically).
 */
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
  /** The agent whose vault holds the key; its keys as registered, checked against `grant`. */
  sealer: Type.Union([
    Type.Object({
      agent: AgentId,
      signingKey: SigningKey,
      ownerKey: Type.String({ description: "the owner key it registered; '' if none" }),
    }),
    Type.Null(),
  ]),
  /**
   * The downloader's owner-signed grant; null for an owner's own download. The envelope opens
   * only under the sealer key it names, and only when it names this agent and its keys.
   */
  grant: Type.Union([SignedGrant, Type.Null()]),
});
export type FetchJob = Static<typeof FetchJob>;

/**
 * Re-seal a source's private block to the recipient agent's X25519 key, sign it with the sealing
 * agent's key, add it to IPFS and report on the private task. The job only asks: the agent reads
 * the grant itself and releases only what the owner's signed statement allows, in its window.
 */
export const ReleaseJob = Type.Object({
  id: JobId,
  agent: AgentId,
  ownerId: UserId,
  privateTaskId: MasterTaskId,
  downloadTaskId: MasterTaskId,
  sourceId: MasterSourceId,
  uuid: Type.String(),
  /** The source's public block: with the uuid, it names the vault copy to release. */
  publicBlockCid: Type.String({ minLength: 1 }),
  recipient: Type.Object({
    userId: UserId,
    agent: AgentId,
    peerId: Type.String(),
    publicKey: Type.String({ description: 'X25519 public key, base64' }),
    signingKey: SigningKey,
  }),
});
export type ReleaseJob = Static<typeof ReleaseJob>;

/**
 * jobs.ipfs.pin, for the platform's ipfs-worker: fetch a sealed block (public, or a released
 * private envelope) from the node of the agent that added it and pin it, so the block stays
 * available when that agent's machine goes offline. Sent by the tasks service when the block's
 * task reaches 8. Pinning twice is harmless, so a redelivered job needs no guard.
 */
export const PinJob = Type.Object({
  id: JobId,
  cid: Type.String({ minLength: 1 }),
  /** Peer ids of the nodes that hold it (the reporting agent's `ip`), dialled first. */
  peers: Type.Array(Type.String()),
  task: Type.Object({
    kind: Type.Union([Type.Literal('upload'), Type.Literal('private')]),
    id: MasterTaskId,
  }),
});
export type PinJob = Static<typeof PinJob>;

/**
 * What ffprobe said of a master when it was sealed; the composed file must say the same. Kept in
 * the private block, so it travels only sealed.
 */
export const MasterMedia = Type.Object({
  container: Type.String({ description: 'ffprobe format_name' }),
  durationMs: Type.Integer({ minimum: 0 }),
  streams: Type.Array(
    Type.Object({ type: Type.String(), codec: Type.String() }, { additionalProperties: false }),
  ),
});
export type MasterMedia = Static<typeof MasterMedia>;

/** The part of ffprobe's answer (`-show_format -show_streams`) that MasterMedia keeps. */
export interface ProbedMedia {
  readonly format: { readonly format_name?: string; readonly duration?: number | string };
  readonly streams: readonly { readonly codec_type?: string; readonly codec_name?: string }[];
}

/** One reading of ffprobe for both ends: sealing records it, composing compares against it. */
export function masterMediaOf(probe: ProbedMedia): MasterMedia {
  const duration = Number(probe.format.duration);
  return {
    container: probe.format.format_name ?? '',
    durationMs: Number.isFinite(duration) ? Math.round(duration * 1000) : 0,
    streams: probe.streams.map((s) => ({
      type: s.codec_type ?? 'unknown',
      codec: s.codec_name ?? 'unknown',
    })),
  };
}

/**
 * Verify a decrypted master (whole-file sha256 and ffprobe metadata against what sealing
 * recorded), then give it its final name and report the download task done (8) or failed (9).
 * Paths are on the downloading agent's machine, so the job is addressed to the agent and only a
 * media worker running beside it (same host or a shared volume) takes it.
 */
/**
 * An agent's own compose step for one download. It names the download and nothing else: which
 * files to verify and rename, and what they must be, the agent reads from its own disk, so no
 * message on the bus can point it at a path.
 */
export const ComposeJob = Type.Object(
  { id: JobId, agent: AgentId, downloadTaskId: MasterTaskId },
  { additionalProperties: false },
);
export type ComposeJob = Static<typeof ComposeJob>;

/** The media worker's verdict on a compose job, for the agent that asked. */
export const ComposedJob = Type.Object({
  id: JobId,
  agent: AgentId,
  downloadTaskId: MasterTaskId,
  ok: Type.Boolean(),
  finalPath: Type.String(),
  reason: Type.Optional(Type.String()),
});
export type ComposedJob = Static<typeof ComposedJob>;

/** Job schema by the last token of its subject, for a worker's exhaustive handler map. */
export const MasterJobSchemas = {
  seal: SealJob,
  fetch: FetchJob,
  release: ReleaseJob,
  composed: ComposedJob,
} as const;
export type MasterJobKind = keyof typeof MasterJobSchemas;
export type MasterJobOf<K extends MasterJobKind> = Static<(typeof MasterJobSchemas)[K]>;
