import { readdir, readFile } from 'node:fs/promises';

/** Memory of one process from `/proc/<pid>/status`, in KiB. */
export interface ProcMemory {
  readonly rssKiB: number;
  readonly anonKiB: number;
  readonly fileKiB: number;
  readonly shmemKiB: number;
}

/** Parses the VmRSS/RssAnon/RssFile/RssShmem lines of `/proc/<pid>/status` (KiB). */
export function parseStatus(text: string): ProcMemory {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return {
    rssKiB: field('VmRSS'),
    anonKiB: field('RssAnon'),
    fileKiB: field('RssFile'),
    shmemKiB: field('RssShmem'),
  };
}

/** What the run needs of `/proc/<pid>/stat`: parent, and CPU used so far in clock ticks. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly ppid: number;
  /** utime + stime, in clock ticks (USER_HZ, 100 on Linux). */
  readonly ticks: number;
}

/**
 * Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses and may itself hold
 * spaces and parentheses, so the fields are counted from the last `)`.
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open)
    throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // After the comm: state(3) ppid(4) … utime(14) stime(15); rest[0] is field 3.
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    ppid: Number(rest[1]),
    ticks: Number(rest[11]) + Number(rest[12]),
  };
}

/** The machine's CPU time from the first line of `/proc/stat`, in clock ticks. */
export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

/** Parses the aggregate `cpu` line of `/proc/stat`: idle and iowait are not busy; guest time is already in user. */
export function parseCpuLine(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user! + nice! + system! + irq + softirq + steal;
  return { busy, total: busy + idle! + iowait };
}

/**
 * One group's memory: a process and the processes below it. The top process counts in full
 * (VmRSS: anonymous, file and shared pages); each one below it adds its anonymous pages; shared
 * memory counts once, the largest share any of them maps. For a single process that is exactly
 * its VmRSS. Summing VmRSS over Postgres' backends instead would count the binary's pages and
 * the shared buffers once per backend, and show growth whenever a backend connected or touched
 * more of the buffers.
 */
export function groupRssKiB(top: ProcMemory, below: readonly ProcMemory[]): number {
  let kib = top.anonKiB + top.fileKiB;
  let shmemKiB = top.shmemKiB;
  for (const m of below) {
    kib += m.anonKiB;
    shmemKiB = Math.max(shmemKiB, m.shmemKiB);
  }
  return kib + shmemKiB;
}

/** `pid` and every process below it, from a list of stats (parent links). */
export function descendants(stats: readonly ProcStat[], pid: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const out: ProcStat[] = [];
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length) {
    const s = stack.pop()!;
    out.push(s);
    stack.push(...(children.get(s.ppid === s.pid ? -1 : s.pid) ?? []));
  }
  return out;
}

/** Every process's stat line now (processes that exit while being read are skipped). */
export async function readAllStats(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  const stats = await Promise.all(
    pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').then(parseStat, () => undefined)),
  );
  return stats.filter((s): s is ProcStat => s !== undefined);
}

export async function readMemory(pid: number): Promise<ProcMemory | undefined> {
  return readFile(`/proc/${pid}/status`, 'utf8').then(parseStatus, () => undefined);
}

export async function readCmdline(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8').then(
    (t) => t.split('\0').join(' ').trim(),
    () => '',
  );
}

export async function readCpuTimes(): Promise<CpuTimes> {
  return parseCpuLine(await readFile('/proc/stat', 'utf8'));
}
