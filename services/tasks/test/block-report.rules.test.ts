import { VaultError } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import {
  applyBlockReport,
  applyDownloadReport,
  privateMirrorOf,
  reopensDownload,
  showsMirror,
} from '../src/master/block-report.rules.js';

const fresh = {
  id: 5,
  status: 0,
  percent: 0,
  ip: '',
  file: '',
  name: '',
  size: 0,
  hash: '',
  reason: '',
};
const uploading = {
  ...fresh,
  status: 3,
  percent: 40,
  ip: 'ip',
  file: 'f',
  name: 'n',
  size: 12.5,
  hash: 'Qm1',
};

const thrown = (work: () => unknown): VaultError => {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(VaultError);
    return err as VaultError;
  }
  throw new Error('expected a VaultError');
};

describe('applyBlockReport', () => {
  it('a first report fills in the block', () => {
    expect(
      applyBlockReport('upload', fresh, {
        status: 3,
        percent: 40,
        ip: 'ip',
        file: 'f',
        name: 'n',
        size: 12.5,
        hash: 'Qm1',
      }),
    ).toEqual({
      status: 3,
      percent: 40,
      ip: 'ip',
      file: 'f',
      name: 'n',
      size: 12.5,
      hash: 'Qm1',
      reason: '',
    });
  });

  it('the same report again, or a status with no news, changes nothing', () => {
    const report = { status: 3, percent: 40, ip: 'ip', file: 'f', name: 'n', size: 12.5 };
    expect(applyBlockReport('upload', uploading, { ...report, hash: 'Qm1' })).toBeUndefined();
    expect(applyBlockReport('upload', uploading, { status: 3 })).toBeUndefined();
    expect(applyBlockReport('private', uploading, { status: 3, percent: 40 })).toBeUndefined();
  });

  it('fields left out keep their values; a new percent is a change', () => {
    expect(applyBlockReport('upload', uploading, { status: 3, percent: 41 })).toEqual({
      status: 3,
      percent: 41,
      ip: 'ip',
      file: 'f',
      name: 'n',
      size: 12.5,
      hash: 'Qm1',
      reason: '',
    });
  });

  it('done without a percent shows 100; an error keeps percent and reason', () => {
    expect(applyBlockReport('upload', uploading, { status: 8 })).toMatchObject({
      status: 8,
      percent: 100,
      hash: 'Qm1',
    });
    expect(
      applyBlockReport('private', uploading, { status: 9, reason: ' disk full ' }),
    ).toMatchObject({ status: 9, percent: 40, reason: 'disk full' });
  });

  it('a retry from 9 starts again at 0 and clears the reason', () => {
    const failed = { ...uploading, status: 9, reason: 'disk full' };
    expect(applyBlockReport('upload', failed, { status: 0 })).toEqual({
      status: 0,
      percent: 0,
      ip: 'ip',
      file: 'f',
      name: 'n',
      size: 12.5,
      hash: 'Qm1',
      reason: '',
    });
  });

  it('cannot be done without the block hash', () => {
    expect(thrown(() => applyBlockReport('upload', fresh, { status: 8 }))).toMatchObject({
      kind: 'badRequest',
      message: "hash: upload task 5 needs the block's IPFS hash to reach status 8",
    });
    expect(thrown(() => applyBlockReport('private', fresh, { status: 8 }))).toMatchObject({
      kind: 'badRequest',
      message: "hash: private task 5 needs the block's IPFS hash to reach status 8",
    });
    expect(applyBlockReport('private', fresh, { status: 8, hash: 'QmP' })).toMatchObject({
      status: 8,
      percent: 100,
      hash: 'QmP',
    });
  });

  it("refuses a move off the kind's path before looking at anything else", () => {
    expect(
      thrown(() => applyBlockReport('upload', uploading, { status: 1, reason: 'x' })),
    ).toMatchObject({
      kind: 'conflict',
      message:
        'upload task 5 cannot go from 3 to 1 (upload tasks move 0→1→2→3→8, to 9 on error and from 9 back to 0)',
    });
    expect(thrown(() => applyBlockReport('private', fresh, { status: 1 }))).toMatchObject({
      kind: 'conflict',
      message:
        'private task 5 cannot go from 0 to 1 (private tasks move 0→3→8, to 9 on error and from 9 back to 0)',
    });
  });

  it('a reason with any status but 9 is refused', () => {
    expect(
      thrown(() => applyBlockReport('upload', uploading, { status: 8, reason: 'why' })),
    ).toMatchObject({
      kind: 'badRequest',
      message: 'reason: only a report of status 9 carries a reason',
    });
  });
});

describe('applyDownloadReport', () => {
  const downloading = { status: 4, percent: 10, reason: '' };

  it.each([
    [downloading, { status: 4, percent: 10 }, undefined],
    [downloading, { status: 4 }, undefined],
    [downloading, { status: 4, percent: 20 }, { status: 4, percent: 20, reason: '' }],
    [downloading, { status: 5 }, { status: 5, percent: 0, reason: '' }],
    [downloading, { status: 8 }, { status: 8, percent: 100, reason: '' }],
    [
      downloading,
      { status: 9, reason: 'net down' },
      { status: 9, percent: 10, reason: 'net down' },
    ],
    [{ status: 9, percent: 10, reason: 'net down' }, { status: 9, reason: 'net down' }, undefined],
    [
      { status: 9, percent: 10, reason: 'net down' },
      { status: 9, reason: 'disk full' },
      { status: 9, percent: 10, reason: 'disk full' },
    ],
    [
      { status: 9, percent: 10, reason: 'net down' },
      { status: 0 },
      { status: 0, percent: 0, reason: '' },
    ],
  ])('%j with %j gives %j', (row, report, expected) => {
    expect(applyDownloadReport(row, report)).toEqual(expected);
  });

  it('a reason with any status but 9 is refused', () => {
    expect(
      thrown(() => applyDownloadReport(downloading, { status: 5, reason: 'x' })),
    ).toMatchObject({
      kind: 'badRequest',
      message: 'reason: only a report of status 9 carries a reason',
    });
  });
});

describe('reopensDownload', () => {
  it.each([
    [9, 0, true],
    [8, 0, true],
    [9, 4, true],
    [9, 9, false],
    [8, 9, false],
    [8, 8, false],
    [0, 4, false],
    [4, 9, false],
    [7, 8, false],
  ])('%i → %i: %s', (from, to, expected) => {
    expect(reopensDownload(from, to)).toBe(expected);
  });
});

describe('privateMirrorOf and showsMirror', () => {
  it.each([
    [
      { status: 0, name: '', size: 0, hash: '' },
      { privateStatus: 0, privateName: '', privateSize: 0, privateHash: '' },
    ],
    [
      { status: 3, name: 'priv.bin', size: 2048, hash: 'QmPriv' },
      { privateStatus: 3, privateName: '', privateSize: 0, privateHash: '' },
    ],
    [
      { status: 9, name: 'priv.bin', size: 2048, hash: 'QmPriv' },
      { privateStatus: 9, privateName: '', privateSize: 0, privateHash: '' },
    ],
    [
      { status: 8, name: 'priv.bin', size: 2048, hash: 'QmPriv' },
      { privateStatus: 8, privateName: 'priv.bin', privateSize: 2048, privateHash: 'QmPriv' },
    ],
  ])('a private task %j shows %j on its download', (task, expected) => {
    expect(privateMirrorOf(task)).toEqual(expected);
  });

  it('a download row shows the mirror only when all four fields match', () => {
    const mirror = { privateStatus: 8, privateName: 'p', privateSize: 1, privateHash: 'Qm' };
    expect(showsMirror(mirror, { ...mirror })).toBe(true);
    expect(showsMirror({ ...mirror, privateStatus: 3 }, mirror)).toBe(false);
    expect(showsMirror({ ...mirror, privateName: '' }, mirror)).toBe(false);
    expect(showsMirror({ ...mirror, privateSize: 0 }, mirror)).toBe(false);
    expect(showsMirror({ ...mirror, privateHash: '' }, mirror)).toBe(false);
  });
});
