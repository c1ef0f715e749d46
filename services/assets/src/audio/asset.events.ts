import {
  AssetJobSubjects,
  AudioAssetEventTypes,
  EventSubjects,
  type AssetStatus,
  type AudioAssetEvent,
  type CleanupJob,
  type MergeJob,
  type UnpinJob,
} from '@media-vault/contracts';
import { newEventId, type OutboxEvent } from '@media-vault/service-kit';
import type { AudioAssetRow } from '../db/schema.js';
import { toAudioAsset } from './asset.mapper.js';

/** Every audio asset change: its new status, the one before (null when created), the record. */
export const assetStatusEvent = (row: AudioAssetRow, previous: AssetStatus | null): OutboxEvent => {
  const payload: AudioAssetEvent = {
    id: newEventId(),
    type: AudioAssetEventTypes.status,
    at: new Date().toISOString(),
    previous_status: previous,
    status: row.status,
    record: toAudioAsset(row),
  };
  return { subject: EventSubjects.audioAsset(row.id.toString()), payload };
};

// The job id doubles as the message id, so a job enqueued twice is delivered once.
const job = (subject: string, payload: { id: string } & object): OutboxEvent => ({
  subject,
  payload,
});

export const mergeJobEvent = (payload: MergeJob): OutboxEvent =>
  job(AssetJobSubjects.merge, payload);

export const cleanupJobEvent = (payload: CleanupJob): OutboxEvent =>
  job(AssetJobSubjects.cleanup, payload);

export const unpinJobEvent = (payload: UnpinJob): OutboxEvent =>
  job(AssetJobSubjects.unpin, payload);
