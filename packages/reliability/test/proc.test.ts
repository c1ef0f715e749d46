import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  descendants,
  groupRssKiB,
  parseCpuLine,
  parseStat,
  parseStatus,
  type ProcStat,
} from '../src/proc.js';
import { ProcessSampler } from '../src/sampler.js';

describe('parseStat', () => {
  it.each([
    {
      line: '4242 (node) S 4200 4242 4200 0 -1 4194560 95345 0 0 0 1534 287 0 0 20 0 11 0 5301 1227116544 70124 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0',
      stat: { pid: 4242, comm: 'node', ppid: 4200, ticks: 1821 },
    },
    // A command name with a space and a parenthesis: fields are counted from the last ')'.
    {
      line: '77 (we (ird) x) R 1 77 77 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 9 0 0',
      stat: { pid: 77, comm: 'we (ird) x', ppid: 1, ticks: 11 },
    },
  ])('$stat.comm', ({ line, stat }) => {
    expect(parseStat(line)).toEqual(stat);
  });

  it('refuses what is not a stat line', () => {
    expect(() => parseStat('VmRSS: 12 kB')).toThrow(/not a/);
  });
});

describe('parseStatus', () => {
  it('reads VmRSS and its parts in KiB; a kernel thread has none', () => {
    const status = [
      'Name:\tnode',
      'VmPeak:\t 1300000 kB',
      'VmRSS:\t  280436 kB',
      'RssAnon:\t  231000 kB',
      'RssFile:\t   49000 kB',
      'RssShmem:\t     436 kB',
      'VmData:\t  400000 kB',
    ].join('\n');
    expect(parseStatus(status)).toEqual({
      rssKiB: 280436,
      anonKiB: 231000,
      fileKiB: 49000,
      shmemKiB: 436,
    });
    expect(parseStatus('Name:\tkthreadd\nState:\tS')).toEqual({
      rssKiB: 0,
      anonKiB: 0,
      fileKiB: 0,
      shmemKiB: 0,
    });
  });
});

describe('parseCpuLine', () => {
  it.each([
    {
      text: 'cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n',
      times: { busy: 160, total: 980 },
    },
    // Old kernels stop after idle.
    { text: 'cpu 10 0 10 80\n', times: { busy: 20, total: 100 } },
    // Steal is busy (someone else's guest ran), iowait is not.
    { text: 'cpu 0 0 0 50 25 0 0 25\n', times: { busy: 25, total: 100 } },
  ])('$times', ({ text, times }) => {
    expect(parseCpuLine(text)).toEqual(times);
  });
});

describe('groupRssKiB', () => {
  const m = (anonKiB: number, fileKiB: number, shmemKiB: number) => ({
    rssKiB: anonKiB + fileKiB + shmemKiB,
    anonKiB,
    fileKiB,
    shmemKiB,
  });
  it.each([
    { name: 'one process: its VmRSS', top: m(100, 20, 5), below: [], kib: 125 },
    // A postmaster and two backends mapping the same binary and 1000 KiB of shared buffers:
    // both counted once.
    {
      name: 'postgres',
      top: m(10, 5, 200),
      below: [m(30, 5, 1000), m(20, 5, 600)],
      kib: 10 + 5 + 30 + 20 + 1000,
    },
  ])('$name', ({ top, below, kib }) => {
    expect(groupRssKiB(top, below)).toBe(kib);
  });
});

describe('descendants', () => {
  const s = (pid: number, ppid: number): ProcStat => ({ pid, ppid, comm: 'x', ticks: 0 });
  it('takes children, grandchildren, and nothing of other trees', () => {
    const stats = [s(1, 0), s(10, 1), s(11, 10), s(12, 10), s(13, 12), s(20, 1), s(21, 20)];
    expect(
      descendants(stats, 10)
        .map((d) => d.pid)
        .sort(),
    ).toEqual([11, 12, 13]);
    expect(descendants(stats, 13)).toEqual([]);
  });
});

describe('ProcessSampler on real processes', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it("counts a grandchild's CPU and a child's memory under the child's name", async () => {
    // The child sleeps; its own child burns 600 ms of CPU once told to; the child then takes
    // 64 MiB it writes to (so the pages are resident). The grandchild leaves when the child dies
    // (its stdin ends).
    const grandchild = `
      process.stdin.once('data', () => { while (process.cpuUsage().user + process.cpuUsage().system < 600000); console.log('burnt'); });
      process.stdin.on('end', () => process.exit());
      setInterval(() => {}, 1000);`;
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: ['pipe', 'pipe', 'inherit'] });
      let held;
      process.stdin.on('data', (d) => {
        if (String(d).startsWith('burn')) { g.stdout.once('data', () => console.log('burnt')); g.stdin.write('go\\n'); }
        else { held = Buffer.alloc(64 * 1024 * 1024, 1); console.log('grown'); }
      });
      console.log('ready');`;
    child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const said = (word: string) =>
      new Promise<void>((done) => {
        const on = (buf: Buffer) => {
          if (String(buf).includes(word)) {
            child!.stdout!.off('data', on);
            done();
          }
        };
        child!.stdout!.on('data', on);
      });
    await said('ready');
    const pid = child.pid!;
    const sampler = new ProcessSampler({
      rootPid: process.pid,
      selfName: 'test',
      nameOf: (p) => (p === pid ? 'child' : undefined),
      intervalMs: 100,
    });
    sampler.begin();
    const a = await sampler.mark();
    child.stdin!.write('burn\n');
    await said('burnt');
    const b = await sampler.mark();
    child.stdin!.write('grow\n');
    await said('grown');
    await new Promise((done) => setTimeout(done, 300));
    await sampler.end();
    child.kill('SIGKILL');
    await once(child, 'exit');

    const cpu = sampler.cpuBetween(a, b);
    // 600 ms of the grandchild's CPU time (500 of them in the window, start-up aside), however
    // busy the machine is.
    const cpuSeconds = (cpu.byName.get('child')! / 100) * ((b.t - a.t) / 1000);
    expect(cpuSeconds).toBeGreaterThan(0.4);
    expect(cpu.byName.has('test')).toBe(true);
    expect(cpu.machineBusyPercent).toBeGreaterThan(0);
    const series = sampler.series('child');
    expect(series.length).toBeGreaterThan(3);
    expect(series.at(-1)!.miB - series[0]!.miB).toBeGreaterThan(60);
    expect(sampler.names()).toEqual(['test', 'child']);
  });
});
