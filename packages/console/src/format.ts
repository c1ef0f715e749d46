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
