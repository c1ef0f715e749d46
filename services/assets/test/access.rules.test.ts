import type { AssetStatus, Principal } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import {
  canSee,
  canWrite,
  isReviewer,
  notFound,
  ownOrNotFound,
  parseAssetId,
  writableOrNotFound,
} from '../src/audio/access.rules.js';
import type { AudioAssetRow } from '../src/db/schema.js';

const owner: Principal = { id: 'o', name: 'o', roles: [100] };
const other: Principal = { id: 'x', name: 'x', roles: [100] };
const plain: Principal = { id: 'p', name: 'p', roles: [] };
const reviewer: Principal = { id: 'r', name: 'r', roles: [120] };
const root: Principal = { id: 'root', name: 'root', roles: [1] };

const row = (status: AssetStatus) => ({ id: 8n, userId: 'o', status }) as AudioAssetRow;

describe('who sees an asset', () => {
  // status, owner, another uploader, a user without roles, reviewer, root
  const TABLE: [AssetStatus, boolean, boolean, boolean, boolean, boolean][] = [
    ['DRAFT', true, false, false, true, true],
    ['MERGING', true, false, false, true, true],
    ['SUBMIT', true, false, false, true, true],
    ['POST', true, true, true, true, true],
    ['REJECT', true, false, false, true, true],
    ['DISABLE', true, false, false, true, true],
    ['DELETE', false, false, false, false, false],
  ];
  it.each(TABLE)('%s: owner %s, other %s, plain %s, reviewer %s, root %s', (status, ...seen) => {
    expect([owner, other, plain, reviewer, root].map((p) => canSee(p, row(status)))).toEqual(seen);
  });
});

describe('who writes an asset', () => {
  it('the owner and root; nobody else', () => {
    expect([owner, other, plain, reviewer, root].map((p) => canWrite(p, row('DRAFT')))).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
  });

  it('reviewers are reviewer and root only', () => {
    expect([owner, plain, reviewer, root].map(isReviewer)).toEqual([false, false, true, true]);
  });

  it('another user’s, a deleted or a missing asset is not found for upload-side writes', () => {
    expect(writableOrNotFound(owner, 8n, row('DRAFT'))).toEqual(row('DRAFT'));
    expect(writableOrNotFound(root, 8n, row('POST'))).toEqual(row('POST'));
    for (const [p, r] of [
      [other, row('DRAFT')],
      [reviewer, row('DRAFT')],
      [owner, row('DELETE')],
      [root, row('DELETE')],
      [owner, undefined],
    ] as const) {
      expect(() => writableOrNotFound(p, 8n, r)).toThrow(
        expect.objectContaining({ kind: 'notFound', message: 'audio asset 8 not found' }),
      );
    }
  });

  it('own clean-up is the owner’s alone, root included', () => {
    expect(ownOrNotFound(owner, 8n, row('REJECT'))).toEqual(row('REJECT'));
    for (const [p, r] of [
      [root, row('REJECT')],
      [other, row('DRAFT')],
      [owner, row('DELETE')],
      [owner, undefined],
    ] as const) {
      expect(() => ownOrNotFound(p, 8n, r)).toThrow(
        expect.objectContaining({ kind: 'notFound', message: 'audio asset 8 not found' }),
      );
    }
  });

  it('not found names the asset', () => {
    expect(notFound(12n)).toMatchObject({ kind: 'notFound', message: 'audio asset 12 not found' });
  });
});

describe('asset ids', () => {
  it.each([
    ['1', 1n],
    [42, 42n],
    ['0', 0n],
    ['9223372036854775807', 9_223_372_036_854_775_807n],
  ] as const)('%j is asset %s', (text, id) => {
    expect(parseAssetId(text)).toBe(id);
  });

  it.each([
    ['', 'id: "" is not an asset id'],
    ['-1', 'id: "-1" is not an asset id'],
    ['1.5', 'id: "1.5" is not an asset id'],
    ['abc', 'id: "abc" is not an asset id'],
    ['12345678901234567890', 'id: "12345678901234567890" is not an asset id'],
    ['9223372036854775808', 'id: 9223372036854775808 is out of range'],
  ])('%j is refused', (text, message) => {
    expect(() => parseAssetId(text)).toThrow(
      expect.objectContaining({ kind: 'badRequest', message }),
    );
  });
});
