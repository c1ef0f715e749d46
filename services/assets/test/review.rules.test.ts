import type { AssetStatus } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import { reasonAfterReview, reviewTarget, type ReviewAction } from '../src/audio/review.rules.js';

/** SPEC §6, every status against every reviewer action, written out by hand. */
const TABLE: [AssetStatus, ReviewAction, AssetStatus | 'conflict'][] = [
  ['DRAFT', 'resolve', 'conflict'],
  ['DRAFT', 'reject', 'conflict'],
  ['DRAFT', 'disable', 'conflict'],
  ['DRAFT', 'recover', 'conflict'],
  ['DRAFT', 'delete', 'conflict'],
  ['MERGING', 'resolve', 'conflict'],
  ['MERGING', 'reject', 'conflict'],
  ['MERGING', 'disable', 'conflict'],
  ['MERGING', 'recover', 'conflict'],
  ['MERGING', 'delete', 'conflict'],
  ['SUBMIT', 'resolve', 'POST'],
  ['SUBMIT', 'reject', 'REJECT'],
  ['SUBMIT', 'disable', 'conflict'],
  ['SUBMIT', 'recover', 'conflict'],
  ['SUBMIT', 'delete', 'conflict'],
  ['POST', 'resolve', 'conflict'],
  ['POST', 'reject', 'conflict'],
  ['POST', 'disable', 'DISABLE'],
  ['POST', 'recover', 'conflict'],
  ['POST', 'delete', 'DELETE'],
  ['REJECT', 'resolve', 'conflict'],
  ['REJECT', 'reject', 'conflict'],
  ['REJECT', 'disable', 'conflict'],
  ['REJECT', 'recover', 'conflict'],
  ['REJECT', 'delete', 'conflict'],
  ['DISABLE', 'resolve', 'conflict'],
  ['DISABLE', 'reject', 'conflict'],
  ['DISABLE', 'disable', 'conflict'],
  ['DISABLE', 'recover', 'POST'],
  ['DISABLE', 'delete', 'DELETE'],
  ['DELETE', 'resolve', 'conflict'],
  ['DELETE', 'reject', 'conflict'],
  ['DELETE', 'disable', 'conflict'],
  ['DELETE', 'recover', 'conflict'],
  ['DELETE', 'delete', 'conflict'],
];

describe('review transitions', () => {
  it.each(TABLE)('%s --%s--> %s', (from, action, to) => {
    if (to === 'conflict') {
      expect(() => reviewTarget(7n, from, action)).toThrow(
        expect.objectContaining({ kind: 'conflict' }),
      );
    } else {
      expect(reviewTarget(7n, from, action)).toBe(to);
    }
  });

  it('names what the action needs when it refuses', () => {
    expect(() => reviewTarget(7n, 'REJECT', 'delete')).toThrow(
      expect.objectContaining({ message: 'asset 7 is REJECT; delete needs POST or DISABLE' }),
    );
    expect(() => reviewTarget(9n, 'POST', 'resolve')).toThrow(
      expect.objectContaining({ message: 'asset 9 is POST; resolve needs SUBMIT' }),
    );
  });

  it.each([
    ['reject', 'too quiet', 'old', 'too quiet'],
    ['reject', '', 'old', ''],
    ['resolve', 'ignored', 'old', 'old'],
    ['disable', 'ignored', '', ''],
    ['recover', 'ignored', 'kept', 'kept'],
    ['delete', 'ignored', 'kept', 'kept'],
  ] as const)('%s with reason %j over %j leaves %j', (action, given, current, expected) => {
    expect(reasonAfterReview(action, given, current)).toBe(expected);
  });
});
