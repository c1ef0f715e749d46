import { cpus } from 'node:os';
import type { RssPoint } from './growth.js';
import {
  descendants,
  groupRssKiB,
  readAllStats,
  readCmdline,
  readCpuTimes,
  readMemory,
  type CpuTimes,
  type ProcMemory,
} from './proc.js';

/** USER_HZ: /proc reports CPU time in these ticks, 100 a second on every Linux. */
const TICKS_PER_SECOND = 100;

interface Sample {
  readonly t: number;
  /** MiB per named process (a process and everything below it). */
  readonly rss: Map<string, number>;
  /** CPU ticks so far of every pid, with the named process it belongs to. */
  readonly ticks: Map<number, { name: string; ticks: number }>;
  readonly machine: CpuTimes;
}

/** A point of the run the CPU figures are measured between. */
export interface Mark {
  readonly index: number;
  /** Ms since the sampler started, as the series' `t`. */
  readonly t: number;
}

/**
 * Samples, every `intervalMs`, the RSS and CPU time of every process this run started: each
 * child of `rootPid` with all its descendants (Postgres' backends count as Postgres, a service's
 * esbuild helper as the service), named by `nameOf`; and the run's own process as `selfName`
 * (the load generator), without its children.
 */
export class ProcessSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  readonly start = Date.now();

  constructor(
    private readonly opts: {
      readonly rootPid: number;
      readonly selfName: string;
      /** A name for a child of the root (undefined: not measured). */
      readonly nameOf: (pid: number, comm: string, cmdline: string) => string | undefined;
      readonly intervalMs: number;
    },
  ) {}

  begin(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs);
  }

  /** Stops sampling without a last sample. */
  stop(): void {
    clearInterval(this.timer);
  }

  async end(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((done) => setTimeout(done, 20));
    await this.sample();
  }

  /** Takes a sample now and returns it as a mark for `cpuBetween`. */
  async mark(): Promise<Mark> {
    while (this.busy) await new Promise((done) => setTimeout(done, 20));
    await this.sample();
    return { index: this.samples.length - 1, t: this.samples.at(-1)!.t };
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const t = Date.now() - this.start;
      const [stats, machine] = await Promise.all([readAllStats(), readCpuTimes()]);
      const root = this.opts.rootPid;
      const members = new Map<string, number[]>();
      const ticks = new Map<number, { name: string; ticks: number }>();
      const self = stats.find((s) => s.pid === root);
      if (self) {
        members.set(this.opts.selfName, [root]);
        ticks.set(root, { name: this.opts.selfName, ticks: self.ticks });
      }
      for (const child of stats.filter((s) => s.ppid === root)) {
        const name = this.opts.nameOf(child.pid, child.comm, await readCmdline(child.pid));
        if (!name) continue;
        for (const s of [child, ...descendants(stats, child.pid)]) {
          const list = members.get(name) ?? [];
          list.push(s.pid);
          members.set(name, list);
          ticks.set(s.pid, { name, ticks: s.ticks });
        }
      }
      const rss = new Map<string, number>();
      for (const [name, pids] of members) {
        // The first pid of a name is its top process (the run itself, or the child of it).
        const [top, ...below] = await Promise.all(pids.map((p) => readMemory(p)));
        if (!top) continue;
        const rest = below.filter((m): m is ProcMemory => m !== undefined);
        rss.set(name, groupRssKiB(top, rest) / 1024);
      }
      this.samples.push({ t, rss, ticks, machine });
    } finally {
      this.busy = false;
    }
  }

  /** Every name seen, in the order first seen. */
  names(): string[] {
    const seen = new Set<string>();
    for (const s of this.samples) for (const name of s.rss.keys()) seen.add(name);
    return [...seen];
  }

  /** RSS over time of one named process, from `from` (a mark) on. */
  series(name: string, from?: Mark): RssPoint[] {
    return this.samples
      .slice(from?.index ?? 0)
      .filter((s) => s.rss.has(name))
      .map((s) => ({ t: s.t, miB: s.rss.get(name)! }));
  }

  /**
   * CPU of each named process between two marks, % of one core; a process started in between
   * counts from zero, one that exited in between is left out. And the machine's busy share.
   */
  cpuBetween(
    a: Mark,
    b: Mark,
  ): { byName: Map<string, number>; machineBusyPercent: number; cores: number } {
    const from = this.samples[a.index]!;
    const to = this.samples[b.index]!;
    const seconds = (to.t - from.t) / 1000;
    const byName = new Map<string, number>();
    for (const [pid, now] of to.ticks) {
      const before = from.ticks.get(pid);
      const used = now.ticks - (before && before.name === now.name ? before.ticks : 0);
      byName.set(now.name, (byName.get(now.name) ?? 0) + used);
    }
    for (const [name, used] of byName) {
      byName.set(name, seconds > 0 ? (used / TICKS_PER_SECOND / seconds) * 100 : 0);
    }
    const total = to.machine.total - from.machine.total;
    return {
      byName,
      machineBusyPercent: total > 0 ? ((to.machine.busy - from.machine.busy) / total) * 100 : 0,
      cores: cpus().length,
    };
  }

  first(): Mark {
    return { index: 0, t: this.samples[0]!.t };
  }

  last(): Mark {
    return { index: this.samples.length - 1, t: this.samples.at(-1)!.t };
  }
}
