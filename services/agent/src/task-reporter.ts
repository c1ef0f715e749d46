import { MasterTaskPaths, TaskStatus, type MasterTaskKind } from '@media-vault/contracts';

export interface StatusReport {
  readonly status: number;
  readonly percent?: number;
}

/** Percent steps below this, or sooner than this, are not worth an event. */
const MIN_STEP = 5;
const MIN_INTERVAL_MS = 2_000;

export interface ReporterOptions {
  /** Shortest time between two progress reports (default 2 s). */
  readonly minIntervalMs?: number;
}

/**
 * Reports a task's progress forward only. A redelivered job starts again from the top, but its
 * task may already be further along: steps the task has passed are skipped instead of being
 * refused as a backward move, and repeated reports are left out, so a rerun emits no event twice.
 */
export class TaskReporter {
  private status: number;
  private percent: number;
  private lastSentAt = 0;
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly minIntervalMs: number;

  constructor(
    private readonly kind: MasterTaskKind,
    current: { status: number; percent: number },
    private readonly send: (report: StatusReport & Record<string, unknown>) => Promise<unknown>,
    opts: ReporterOptions = {},
  ) {
    this.status = current.status;
    this.percent = current.percent;
    this.minIntervalMs = opts.minIntervalMs ?? MIN_INTERVAL_MS;
  }

  private rank(status: number): number {
    return (MasterTaskPaths[this.kind] as readonly number[]).indexOf(status);
  }

  /** True when the task is already at `status` or past it. */
  reached(status: number): boolean {
    return this.status !== TaskStatus.error && this.rank(this.status) >= this.rank(status);
  }

  /** Moves to `status` (with any block fields) unless the task is already past it. */
  async step(status: number, fields: Record<string, unknown> = {}, percent = 0): Promise<void> {
    await this.inFlight;
    if (status !== this.status && this.reached(status)) return;
    const nothingNew =
      status === this.status && Object.keys(fields).length === 0 && percent <= this.percent;
    if (nothingNew) return;
    await this.send({ status, percent, ...fields });
    this.status = status;
    this.percent = percent;
    this.lastSentAt = Date.now();
  }

  /**
   * A new percent for work of `status`, sent only when the task is at that status and the
   * percent moved enough; a rerun of work the task has already passed reports nothing. Never
   * blocks the work: reports queue behind each other.
   */
  progress(status: number, percent: number): void {
    if (status !== this.status) return;
    const rounded = Math.min(100, Math.max(0, Math.floor(percent)));
    if (rounded <= this.percent) return;
    const due =
      rounded === 100 ||
      (rounded - this.percent >= MIN_STEP && Date.now() - this.lastSentAt >= this.minIntervalMs);
    if (!due) return;
    this.percent = rounded;
    this.lastSentAt = Date.now();
    this.inFlight = this.inFlight.then(() =>
      this.send({ status, percent: rounded }).catch(() => {}),
    );
  }

  /** Waits for queued progress reports, so the next step is never overtaken by an old one. */
  async flush(): Promise<void> {
    await this.inFlight;
  }
}
