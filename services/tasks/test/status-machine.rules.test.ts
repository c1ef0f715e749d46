import { VaultError, type MasterTaskKind } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import {
  assertRetryAllowed,
  assertTransition,
  blocksOfSource,
  isRetry,
  nextPercent,
  reasonAfter,
  seedsBlock,
} from '../src/master/status-machine.rules.js';
import { STATUS_GRIDS } from './status-table.js';

const PATHS: Record<MasterTaskKind, string> = {
  upload: 'upload tasks move 0→1→2→3→8, to 9 on error and from 9 back to 0',
  download: 'download tasks move 0→4→5→6→7→8, to 9 on error and from 9 back to 0',
  private: 'private tasks move 0→3→8, to 9 on error and from 9 back to 0',
};

const cells = (Object.keys(STATUS_GRIDS) as MasterTaskKind[]).flatMap((kind) =>
  STATUS_GRIDS[kind].flatMap((row, from) =>
    row.split(' ').map((cell, to) => ({
      kind,
      from,
      to,
      allowed: cell === 'Y',
      label: `${kind} ${from} → ${to} ${cell === 'Y' ? 'allowed' : 'refused'}`,
    })),
  ),
);

describe('assertTransition', () => {
  it('covers 10 × 10 moves for each of the three kinds', () => {
    expect(cells).toHaveLength(300);
    const allowed = (kind: MasterTaskKind) => cells.filter((c) => c.kind === kind && c.allowed);
    expect(
      [allowed('upload'), allowed('download'), allowed('private')].map((a) => a.length),
    ).toEqual([30, 35, 23]);
  });

  it.each(cells)('$label', ({ kind, from, to, allowed }) => {
    const move = () => assertTransition(kind, 42, from, to);
    if (allowed) {
      expect(move).not.toThrow();
      return;
    }
    let error: unknown;
    try {
      move();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(VaultError);
    expect(error).toMatchObject({
      kind: 'conflict',
      message: `${kind} task 42 cannot go from ${from} to ${to} (${PATHS[kind]})`,
    });
  });
});

describe('isRetry', () => {
  it.each([
    [9, 0, true],
    [9, 9, false],
    [8, 0, false],
    [0, 0, false],
    [9, 1, false],
    [0, 9, false],
  ])('%i → %i: %s', (from, to, expected) => {
    expect(isRetry(from, to)).toBe(expected);
  });
});

describe('reasonAfter', () => {
  it.each([
    [{ status: 9, reason: '  disk full \n' }, 'disk full'],
    [{ status: 9 }, ''],
    [{ status: 9, reason: '' }, ''],
    [{ status: 3 }, ''],
    [{ status: 0, reason: '   ' }, ''],
    [{ status: 8, reason: undefined }, ''],
  ])('%j keeps %j', (report, expected) => {
    expect(reasonAfter(report)).toBe(expected);
  });

  it.each([
    { status: 3, reason: 'x' },
    { status: 0, reason: ' late ' },
  ])('refuses a reason with status %j', (report) => {
    expect(() => reasonAfter(report)).toThrow(
      expect.objectContaining({
        kind: 'badRequest',
        message: 'reason: only a report of status 9 carries a reason',
      }),
    );
  });
});

describe('nextPercent', () => {
  it.each([
    // [current status, current percent, reported status, reported percent, expected]
    [3, 40, 3, 55, 55],
    [3, 40, 8, 90, 90],
    [3, 40, 1, 0, 0],
    [3, 40, 3, undefined, 40],
    [3, 40, 9, undefined, 40],
    [3, 40, 8, undefined, 100],
    [0, 0, 1, undefined, 0],
    [2, 70, 3, undefined, 0],
    [9, 70, 0, undefined, 0],
    [9, 70, 9, undefined, 70],
    [8, 100, 8, undefined, 100],
    [4, 15, 5, undefined, 0],
  ])('at %i with %i%%, a report of %i with %s shows %i', (status, percent, to, given, expected) => {
    expect(nextPercent({ status, percent }, to, given)).toBe(expected);
  });
});

describe('seedsBlock', () => {
  it.each([
    { from: 3, to: 8, hash: 'bafy1', seeds: true },
    { from: 0, to: 8, hash: 'bafy1', seeds: true },
    { from: 3, to: 8, hash: '', seeds: false },
    { from: 8, to: 8, hash: 'bafy1', seeds: false },
    { from: 2, to: 3, hash: 'bafy1', seeds: false },
    { from: 3, to: 9, hash: 'bafy1', seeds: false },
    { from: 9, to: 0, hash: 'bafy1', seeds: false },
  ])('$from → $to with hash "$hash": $seeds', ({ from, to, hash, seeds }) => {
    expect(seedsBlock(from, to, hash)).toBe(seeds);
  });
});

describe('assertRetryAllowed', () => {
  const deleted = { id: 7, deletedAt: new Date('2026-01-01T00:00:00Z') };
  const live = { id: 7, deletedAt: null };
  it.each([
    [live, 9, 0, 'allowed'],
    [deleted, 9, 0, 'download task 3 cannot be retried: source 7 was deleted'],
    [deleted, 4, 9, 'allowed'],
    [deleted, 8, 8, 'allowed'],
  ] as const)('%o %i → %i: %s', (source, from, to, outcome) => {
    const attempt = () => assertRetryAllowed('download', 3, source, from, to);
    if (outcome === 'allowed') expect(attempt).not.toThrow();
    else expect(attempt).toThrow(expect.objectContaining({ kind: 'conflict', message: outcome }));
  });
});

describe('blocksOfSource', () => {
  it.each([
    [{ hash: 'pub' }, [], ['pub']],
    [{ hash: '' }, [], []],
    [{ hash: 'pub' }, [{ hash: 'k1' }, { hash: '' }, { hash: 'k2' }], ['pub', 'k1', 'k2']],
    [{ hash: 'pub' }, [{ hash: 'k1' }, { hash: 'k1' }, { hash: 'pub' }], ['pub', 'k1']],
  ])('%o with %o → %o', (upload, privates, expected) => {
    expect(blocksOfSource(upload, privates)).toEqual(expected);
  });
});
