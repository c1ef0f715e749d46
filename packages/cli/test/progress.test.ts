import type { DownloadTask } from '@media-vault/contracts';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressDisplay, detail } from '../src/progress.js';
import { fit, renderTable } from '../src/table.js';
import { statusLabel, viewOfDownload } from '../src/task-view.js';
import { downloadRecord } from './fixtures.js';

const download = (status: number, privateStatus: number, extra: object = {}): DownloadTask =>
  downloadRecord({
    id: 4,
    status,
    percent: 30,
    source_name: '仙剑奇侠传-电视版（第21集）',
    private_status: privateStatus,
    ...extra,
  });

describe('status labels', () => {
  it('say the seed name and the English one', () => {
    expect(statusLabel(0)).toBe('0 未开始 (not started)');
    expect(statusLabel(5)).toBe('5 等待授权中 (waiting for authorisation)');
    expect(statusLabel(8)).toBe('8 已完成 (done)');
    expect(statusLabel(42)).toBe('42 (unknown status)');
  });

  it('a download says where its private block is, and a failure why', () => {
    expect(detail(viewOfDownload(download(5, 3)))).toBe(
      '5 等待授权中 (waiting for authorisation) · private block 3 上载中 (uploading)',
    );
    expect(detail(viewOfDownload(download(8, 8)))).toBe('8 已完成 (done)');
    expect(detail(viewOfDownload(download(9, 0, { reason: 'sha256 mismatch' })))).toBe(
      '9 出现错误 (error): sha256 mismatch',
    );
  });
});

describe('progress display', () => {
  it('without a terminal: a plain line per change', () => {
    const stream = new PassThrough();
    const display = createProgressDisplay({ stream, label: (v) => v.sourceName });
    display.show(viewOfDownload(download(4, 0)));
    display.note('vault: polling');
    display.stop();
    const text = stream.read()?.toString() ?? '';
    expect(text).toMatch(
      /^\d\d:\d\d:\d\d download task 4 仙剑奇侠传-电视版（第21集）: 4 下载中 \(downloading\) · private block 0 未开始 \(not started\) 30%\nvault: polling\n$/,
    );
  });

  it('on a terminal: bars redrawn in place', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 160 });
    const display = createProgressDisplay({ stream, label: (v) => v.sourceName });
    display.show(viewOfDownload(download(4, 0)));
    display.stop();
    const text = stream.read()?.toString() ?? '';
    expect(text).toContain('█');
    expect(text).toContain('30%');
    expect(text).toContain('4 下载中 (downloading)');
  });
});

describe('tables', () => {
  it('align by display width, so Chinese titles line up', () => {
    const table = renderTable(
      ['file', 'task'],
      [
        ['仙剑.mov', 1],
        ['ab.mov', 22],
      ],
    );
    expect(table.split('\n')).toEqual(['file      task', '仙剑.mov  1', 'ab.mov    22']);
  });

  it('fit shortens with an ellipsis by columns', () => {
    expect(fit('仙剑奇侠传', 6)).toBe('仙剑… ');
    expect(fit('abc', 5)).toBe('abc  ');
  });
});
