import { describe, expect, it } from 'vitest';
import {
  assetStatusEvent,
  cleanupJobEvent,
  mergeJobEvent,
  unpinJobEvent,
} from '../src/audio/asset.events.js';
import type { AudioAssetRow } from '../src/db/schema.js';

const at = new Date('2026-01-01T00:00:00.000Z');
const row: AudioAssetRow = {
  id: 31n,
  userId: 'u',
  name: 'a.mp3',
  size: 10n,
  hash: 'ab',
  status: 'SUBMIT',
  reason: '',
  chunkSize: 10,
  chunkCount: 1,
  merged: true,
  submitOnMerge: true,
  mergeJobId: null,
  probe: null,
  files: [],
  createdAt: at,
  updatedAt: at,
};

describe('asset events', () => {
  it('announce a status change on the asset’s subject with the record', () => {
    const event = assetStatusEvent(row, 'DRAFT');
    expect(event).toEqual({
      subject: 'events.assets.audio.31',
      payload: {
        id: expect.any(String),
        type: 'audio.asset.status',
        at: expect.any(String),
        previous_status: 'DRAFT',
        status: 'SUBMIT',
        record: {
          id: '31',
          userId: 'u',
          name: 'a.mp3',
          size: '10',
          hash: 'ab',
          status: 'SUBMIT',
          reason: '',
          chunkSize: 10,
          chunkCount: 1,
          merged: true,
          probe: null,
          files: [],
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      },
    });
    expect(assetStatusEvent(row, null).payload.previous_status).toBeNull();
  });

  it('jobs carry their job id as the message id', () => {
    expect(unpinJobEvent({ id: 'j1', cids: ['c'] })).toEqual({
      subject: 'jobs.ipfs.unpin',
      payload: { id: 'j1', cids: ['c'] },
    });
    expect(cleanupJobEvent({ id: 'j2', bucket: 'b', objects: ['o'] })).toEqual({
      subject: 'jobs.assets.cleanup',
      payload: { id: 'j2', bucket: 'b', objects: ['o'] },
    });
    expect(
      mergeJobEvent({ id: 'j3', assetId: '31', hash: 'ab', size: 10, bucket: 'b', chunks: [] }),
    ).toEqual({
      subject: 'jobs.media.merge',
      payload: { id: 'j3', assetId: '31', hash: 'ab', size: 10, bucket: 'b', chunks: [] },
    });
  });
});
