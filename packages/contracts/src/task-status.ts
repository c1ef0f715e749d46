/** Seed 000 task status codes, shared by upload, download and private-upload tasks. */
export const TaskStatus = {
  notStarted: 0,
  chunking: 1,
  encrypting: 2,
  uploading: 3,
  downloading: 4,
  waitingForAuthorisation: 5,
  downloadingKey: 6,
  composing: 7,
  done: 8,
  error: 9,
} as const;

export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/** The names the seed shows to users (in `meta.status_choices`). */
export const TaskStatusNames: Record<TaskStatus, string> = {
  0: '未开始',
  1: '分块中',
  2: '加密中',
  3: '上载中',
  4: '下载中',
  5: '等待授权中',
  6: '下载密钥中',
  7: '合成中',
  8: '已完成',
  9: '出现错误',
};

export const isTaskStatus = (value: number): value is TaskStatus =>
  Number.isInteger(value) && value >= 0 && value <= 9;
