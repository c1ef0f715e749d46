/**
 * The merge pipeline of an audio asset, as JetStream jobs:
 *   assets → jobs.media.merge → media-worker → jobs.ipfs.add → ipfs-worker → jobs.assets.merged → assets
 * A failed merge (not mp3, hash mismatch) goes from the media worker straight to jobs.assets.merged.
 * Every job carries `id`, as master jobs do: it is the JetStream `Nats-Msg-Id`, and a worker
 * publishes its next job with a message id derived from it, so a redelivered job never doubles the
 * next step.
 */
import { Type, type Static } from '@sinclair/typebox';
import { AssetFile, AssetFileKind, AudioProbe, Sha256Hex } from './audio-assets.js';

const JobId = Type.String({ minLength: 1, description: 'unique job id (Nats-Msg-Id)' });

export const AssetJobSubjects = {
  merge: 'jobs.media.merge',
  ipfsAdd: 'jobs.ipfs.add',
  merged: 'jobs.assets.merged',
  /** Staging objects to delete once nothing needs them (after a merge or a deleted draft). */
  cleanup: 'jobs.assets.cleanup',
  /** CIDs no remaining asset references. */
  unpin: 'jobs.ipfs.unpin',
} as const;

export const CleanupJob = Type.Object({
  id: JobId,
  bucket: Type.String(),
  objects: Type.Array(Type.String()),
  /**
   * Also every object under this prefix: an asset that takes no more chunks (merged, deleted)
   * names its own (`chunkObjectsPrefix`), so objects stored for it and never recorded go too. One
   * asset's prefix and nothing wider: never empty, never a path of its own.
   */
  prefix: Type.Optional(
    Type.String({ pattern: '^[1-9][0-9]{0,18}/$', description: 'an asset id and a slash' }),
  ),
});
export type CleanupJob = Static<typeof CleanupJob>;

export const UnpinJob = Type.Object({
  id: JobId,
  cids: Type.Array(Type.String()),
});
export type UnpinJob = Static<typeof UnpinJob>;

export const MergeJob = Type.Object({
  id: JobId,
  assetId: Type.String(),
  hash: Sha256Hex,
  size: Type.Integer(),
  bucket: Type.String(),
  chunks: Type.Array(
    Type.Object({ index: Type.Integer(), object: Type.String(), size: Type.Integer() }),
  ),
});
export type MergeJob = Static<typeof MergeJob>;

export const IpfsAddJob = Type.Object({
  id: JobId,
  assetId: Type.String(),
  bucket: Type.String(),
  probe: AudioProbe,
  files: Type.Array(
    Type.Object({
      file: AssetFileKind,
      object: Type.String(),
      size: Type.Integer(),
      bitrate: Type.Integer(),
      sampleRate: Type.Integer(),
    }),
  ),
});
export type IpfsAddJob = Static<typeof IpfsAddJob>;

export const MergedJob = Type.Union([
  Type.Object({
    id: JobId,
    assetId: Type.String(),
    ok: Type.Literal(true),
    probe: AudioProbe,
    files: Type.Array(AssetFile),
  }),
  Type.Object({
    id: JobId,
    assetId: Type.String(),
    ok: Type.Literal(false),
    reason: Type.String(),
  }),
]);
export type MergedJob = Static<typeof MergedJob>;
