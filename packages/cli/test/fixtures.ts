import type { DownloadTask, UploadTask } from '@media-vault/contracts';

/** A seed 000 upload task record as the API returns it; `over` sets what a test cares about. */
export const uploadRecord = (over: Partial<UploadTask> & { id: number }): UploadTask => ({
  status: 0,
  percent: 0,
  series_id: 1,
  source_id: over.id,
  source_name: `m${over.id}.mov`,
  uuid: `u${over.id}`,
  ip: '',
  file: '',
  name: '',
  size: 0,
  hash: '',
  created_at: '2030-01-01 00:00:00',
  ...over,
});

/** A download task record: an upload record's fields plus the private block's. */
export const downloadRecord = (over: Partial<DownloadTask> & { id: number }): DownloadTask => ({
  ...uploadRecord({ id: over.id }),
  private_status: 0,
  private_name: '',
  private_size: 0,
  private_hash: '',
  ...over,
});
