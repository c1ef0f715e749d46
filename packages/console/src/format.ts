/** Seed 000 task status names (Chinese as the seed shows them) with their English meaning. */
export const TASK_STATUS: Record<number, { zh: string; en: string }> = {
  0: { zh: '未开始', en: 'not started' },
  1: { zh: '分块中', en: 'chunking' },
  2: { zh: '加密中', en: 'encrypting' },
  3: { zh: '上载中', en: 'uploading' },
  4: { zh: '下载中', en: 'downloading' },
  5: { zh: '等待授权中', en: 'waiting for authorisation' },
  6: { zh: '下载密钥中', en: 'downloading the key' },
  7: { zh: '合成中', en: 'composing' },
  8: { zh: '已完成', en: 'done' },
  9: { zh: '出现错误', en: 'error' },
};

export const taskStatusLabel = (status: number): string => {
  const name = TASK_STATUS[status];
  return name ? `${name.zh} · ${name.en}` : String(status);
};

export const duration = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export const bytes = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1048576
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1048576).toFixed(1)} MiB`;

/** Audio statuses after an upload, in words a contributor reads at a glance. */
const AFTER_UPLOAD: Record<string, string> = {
  MERGING: 'uploaded, merging',
  SUBMIT: 'uploaded, waiting for review',
  POST: 'published',
  DRAFT: 'uploaded, kept as a draft',
  REJECT: 'rejected',
  DISABLE: 'disabled',
};

const UPLOAD_STATE: Record<string, string> = {
  hashing: 'reading the file',
  uploading: 'uploading',
  merging: 'asking for the merge',
  failed: 'failed',
};

/**
 * One phrase for an upload row. Once the bytes are in, the asset's own status says more than
 * the upload's ("done, MERGING" read as both finished and not).
 */
export const uploadLabel = (state: string, status?: string): string =>
  state === 'done'
    ? ((status && AFTER_UPLOAD[status]) ?? (status ? `uploaded, ${status}` : 'uploaded'))
    : (UPLOAD_STATE[state] ?? state);
