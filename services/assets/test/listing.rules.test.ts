import type { Principal } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import { nameContainsPattern, ownListFilter, searchFilter } from '../src/audio/listing.rules.js';

const uploader: Principal = { id: 'u1', name: 'u1', roles: [100] };
const plain: Principal = { id: 'p1', name: 'p1', roles: [] };
const reviewer: Principal = { id: 'r1', name: 'r1', roles: [120] };
const root: Principal = { id: 'root', name: 'root', roles: [1] };

describe('name search pattern', () => {
  it.each([
    ['song', '%song%'],
    ['100%', '%100\\%%'],
    ['a_b', '%a\\_b%'],
    ['c:\\x', '%c:\\\\x%'],
    ['', '%%'],
  ])('%j matches as %j', (text, expected) => {
    expect(nameContainsPattern(text)).toBe(expected);
  });
});

describe('search filter', () => {
  it.each([
    ['an uploader', uploader, 'u1'],
    ['a user without roles', plain, 'p1'],
    ['a reviewer', reviewer, undefined],
    ['root', root, undefined],
  ] as const)('%s sees POST and their own unless they review', (_label, p, ownedBy) => {
    expect(searchFilter(p, {})).toEqual({
      excludeDeleted: true,
      postOrOwnedBy: ownedBy,
      nameLike: undefined,
      status: undefined,
      userId: undefined,
    });
  });

  it('adds the query’s name, status and owner', () => {
    expect(searchFilter(reviewer, { name: 'a%', status: 'POST', owner: 'u1' })).toEqual({
      excludeDeleted: true,
      postOrOwnedBy: undefined,
      nameLike: '%a\\%%',
      status: 'POST',
      userId: 'u1',
    });
  });

  it('takes an empty name or owner as no condition', () => {
    expect(searchFilter(root, { name: '', owner: '' })).toEqual({
      excludeDeleted: true,
      postOrOwnedBy: undefined,
      nameLike: undefined,
      status: undefined,
      userId: undefined,
    });
  });
});

describe('own lists', () => {
  it('list the caller’s own assets of one status', () => {
    expect(ownListFilter(uploader, 'u1', 'DRAFT')).toEqual({ userId: 'u1', status: 'DRAFT' });
    expect(ownListFilter(plain, 'p1', 'REJECT')).toEqual({ userId: 'p1', status: 'REJECT' });
  });

  it.each([
    ['an uploader', uploader],
    ['a reviewer', reviewer],
    ['root', root],
  ] as const)('refuse %s another user’s list', (_label, p) => {
    expect(() => ownListFilter(p, 'someone', 'DRAFT')).toThrow(
      expect.objectContaining({
        kind: 'forbidden',
        message: `you can list only your own assets (user ${p.id})`,
      }),
    );
  });
});
