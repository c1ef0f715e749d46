import { TaskStatus, type MasterTaskKind } from '@media-vault/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TaskReporter, type StatusReport } from '../src/task-reporter.js';

type Report = StatusReport & Record<string, unknown>;

/** A reporter whose reports land in `sent`, with ways to hold back or fail the reports it sends. */
function recording(kind: MasterTaskKind, current: { status: number; percent: number }) {
  const sent: Report[] = [];
  let send = async (report: Report): Promise<void> => void sent.push(report);
  const reporter = new TaskReporter(kind, current, (report) => send(report));

  /** Holds back the reports `which` picks until the returned function is called. */
  const hold = (which: (report: Report) => boolean = () => true): (() => void) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const deliver = send;
    send = async (report) => {
      if (which(report)) await held;
      await deliver(report);
    };
    return release;
  };

  /** Fails every report until the returned function is called. */
  const fail = (): (() => void) => {
    const deliver = send;
    send = () => Promise.reject(new Error('gateway unreachable'));
    return () => void (send = deliver);
  };

  return { reporter, sent, hold, fail };
}

/** Lets every pending promise callback and I/O callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Moves the clock the reporter throttles by; nothing else is faked, so promises run as usual. */
const later = (ms: number) => vi.setSystemTime(Date.now() + ms);

const block = { name: 'master.mov', file: 'series 1', size: 1_048_576, ip: '12D3KooWPeer' };

describe('TaskReporter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('steps', () => {
    it('walks a fresh task forward, sending each step with its fields', async () => {
      const { reporter, sent } = recording('upload', { status: 0, percent: 0 });
      await reporter.step(TaskStatus.chunking);
      await reporter.step(TaskStatus.encrypting);
      await reporter.step(TaskStatus.uploading, block);
      await reporter.step(TaskStatus.done, { ...block, hash: 'bafy-public' }, 100);

      expect(sent).toEqual([
        { status: 1, percent: 0 },
        { status: 2, percent: 0 },
        { status: 3, percent: 0, ...block },
        { status: 8, percent: 100, ...block, hash: 'bafy-public' },
      ]);
    });

    it('skips, without sending, the steps a redelivered job finds its task already past', async () => {
      const { reporter, sent } = recording('upload', { status: 3, percent: 0 });
      expect(reporter.reached(TaskStatus.chunking)).toBe(true);
      expect(reporter.reached(TaskStatus.uploading)).toBe(true);
      expect(reporter.reached(TaskStatus.done)).toBe(false);

      await reporter.step(TaskStatus.chunking);
      await reporter.step(TaskStatus.encrypting);
      expect(sent).toEqual([]);

      await reporter.step(TaskStatus.uploading, block);
      await reporter.step(TaskStatus.done, { hash: 'bafy-public' }, 100);
      expect(sent.map((r) => r.status)).toEqual([3, 8]);
    });

    it('does not send a repeated step that brings no new fields or percent', async () => {
      const { reporter, sent } = recording('download', { status: 0, percent: 0 });
      await reporter.step(TaskStatus.downloading);
      await reporter.step(TaskStatus.downloading);
      await reporter.step(TaskStatus.downloading, {}, 0);
      expect(sent).toEqual([{ status: 4, percent: 0 }]);

      // The task it was created with counts too: a rerun at 5 does not announce 5 again.
      const rerun = recording('download', { status: 5, percent: 0 });
      await rerun.reporter.step(TaskStatus.downloading);
      await rerun.reporter.step(TaskStatus.waitingForAuthorisation);
      expect(rerun.sent).toEqual([]);
    });

    it('sends a repeated step that brings new fields or a higher percent', async () => {
      const { reporter, sent } = recording('upload', { status: 3, percent: 0 });
      await reporter.step(TaskStatus.uploading, block);
      await reporter.step(TaskStatus.uploading, {}, 50);
      expect(sent).toEqual([
        { status: 3, percent: 0, ...block },
        { status: 3, percent: 50 },
      ]);
    });

    it('keeps its place when a step cannot be sent, so the rerun sends it again', async () => {
      const { reporter, sent, fail } = recording('download', { status: 0, percent: 0 });
      const recover = fail();
      await expect(reporter.step(TaskStatus.downloading)).rejects.toThrow('gateway unreachable');
      expect(reporter.reached(TaskStatus.downloading)).toBe(false);

      recover();
      await reporter.step(TaskStatus.downloading);
      expect(sent).toEqual([{ status: 4, percent: 0 }]);
    });
  });

  describe('progress', () => {
    it('reports only for the status the task is at', async () => {
      const { reporter, sent } = recording('upload', { status: 0, percent: 0 });
      await reporter.step(TaskStatus.encrypting);
      later(5_000);
      reporter.progress(TaskStatus.chunking, 40);
      reporter.progress(TaskStatus.uploading, 40);
      await reporter.flush();
      expect(sent).toEqual([{ status: 2, percent: 0 }]);

      reporter.progress(TaskStatus.encrypting, 40);
      await reporter.flush();
      expect(sent.at(-1)).toEqual({ status: 2, percent: 40 });
    });

    it('sends nothing for a status the task has already passed', async () => {
      const { reporter, sent } = recording('download', { status: 5, percent: 0 });
      later(5_000);
      reporter.progress(TaskStatus.downloading, 60);
      reporter.progress(TaskStatus.downloading, 100);
      await reporter.flush();
      expect(sent).toEqual([]);
    });

    it('is throttled by a 5 % step and a 2 s interval', async () => {
      const { reporter, sent } = recording('upload', { status: 0, percent: 0 });
      await reporter.step(TaskStatus.encrypting);

      reporter.progress(TaskStatus.encrypting, 10); // too soon after the step
      later(2_000);
      reporter.progress(TaskStatus.encrypting, 12.9);
      later(2_000);
      reporter.progress(TaskStatus.encrypting, 16.5); // 4 % on: too small a step
      reporter.progress(TaskStatus.encrypting, 17);
      reporter.progress(TaskStatus.encrypting, 50); // a big step, but too soon
      later(1_999);
      reporter.progress(TaskStatus.encrypting, 60);
      later(1);
      reporter.progress(TaskStatus.encrypting, 61);
      later(5_000);
      reporter.progress(TaskStatus.encrypting, 61); // no further than the last report
      reporter.progress(TaskStatus.encrypting, 40);
      await reporter.flush();

      expect(sent.map((r) => r.percent)).toEqual([0, 12, 17, 61]);
    });

    it('always sends 100, however soon after the last report', async () => {
      const { reporter, sent } = recording('upload', { status: 0, percent: 0 });
      await reporter.step(TaskStatus.encrypting);
      later(2_000);
      reporter.progress(TaskStatus.encrypting, 50);
      reporter.progress(TaskStatus.encrypting, 140); // byte counts can overshoot: clamped
      reporter.progress(TaskStatus.encrypting, 100); // and 100 goes once
      await reporter.flush();
      expect(sent.map((r) => r.percent)).toEqual([0, 50, 100]);
    });

    // Fails today: the 5 % step is checked before "100 is always due", so a task last
    // reported at 96–99 % stays there (seen as "composing 97 %" while the media worker verifies).
    it('sends 100 even when the last report was less than 5 % short of it', async () => {
      const { reporter, sent } = recording('download', { status: 7, percent: 0 });
      later(2_000);
      reporter.progress(TaskStatus.composing, 97);
      reporter.progress(TaskStatus.composing, 100);
      await reporter.flush();
      expect(sent.map((r) => r.percent)).toEqual([97, 100]);
    });

    it('never holds up the work: progress() returns before its report is sent', async () => {
      const { reporter, sent, hold } = recording('upload', { status: 2, percent: 0 });
      const release = hold();
      later(2_000);
      reporter.progress(TaskStatus.encrypting, 30);
      expect(sent).toEqual([]);

      let flushed = false;
      const flushing = reporter.flush().then(() => (flushed = true));
      await settle();
      expect(flushed).toBe(false);

      release();
      await flushing;
      expect(sent).toEqual([{ status: 2, percent: 30 }]);
    });

    it('lets no queued report overtake the next step', async () => {
      const { reporter, sent, hold } = recording('upload', { status: 2, percent: 0 });
      const release = hold((report) => report.status === TaskStatus.encrypting);
      later(2_000);
      reporter.progress(TaskStatus.encrypting, 100);
      const stepping = reporter.step(TaskStatus.uploading, block);
      await settle();
      expect(sent).toEqual([]);

      release();
      await stepping;
      expect(sent).toEqual([
        { status: 2, percent: 100 },
        { status: 3, percent: 0, ...block },
      ]);
    });

    it('drops a report that fails to send without failing flush() or the next step', async () => {
      const { reporter, sent, fail } = recording('upload', { status: 2, percent: 0 });
      const recover = fail();
      later(2_000);
      reporter.progress(TaskStatus.encrypting, 30);
      await reporter.flush();

      recover();
      await reporter.step(TaskStatus.uploading, block);
      expect(sent).toEqual([{ status: 3, percent: 0, ...block }]);
    });
  });
});
