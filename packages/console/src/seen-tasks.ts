/** A film master task this browser has seen an event of. */
export interface SeenTask {
  readonly kind: 'upload' | 'download';
  readonly id: number;
  readonly sourceId: number;
}

/** The most a browser remembers per user; the oldest go first. */
const LIMIT = 200;
const key = (uid: string) => `media-vault.seen-tasks.${uid}`;

export function seenTasks(uid: string): SeenTask[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(key(uid)) ?? '[]');
    return Array.isArray(list) ? (list as SeenTask[]) : [];
  } catch {
    return [];
  }
}

const same = (a: SeenTask, b: SeenTask) => a.kind === b.kind && a.id === b.id;

export function rememberTask(uid: string, task: SeenTask): void {
  const list = seenTasks(uid);
  if (list.some((t) => same(t, task))) return;
  localStorage.setItem(key(uid), JSON.stringify([...list, task].slice(-LIMIT)));
}

export function forgetTask(uid: string, task: SeenTask): void {
  localStorage.setItem(key(uid), JSON.stringify(seenTasks(uid).filter((t) => !same(t, task))));
}
