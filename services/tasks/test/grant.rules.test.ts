import { describe, expect, it } from 'vitest';
import {
  grantRefusal,
  grantWindowOf,
  isSameGrant,
  parseGrantTime,
  releaseWindowOf,
} from '../src/master/grant.rules.js';

const at = (iso: string) => new Date(iso);

describe('parseGrantTime', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['2026-01-02', '2026-01-02T00:00:00.000Z'],
    ['2026-01-02 03:04:05', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02T03:04:05', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z'],
    ['2026-01-02T03:04:05.250Z', '2026-01-02T03:04:05.250Z'],
    ['2026-01-02T03:04:05+08:00', '2026-01-01T19:04:05.000Z'],
    ['2026-01-02 03:04:05-02:30', '2026-01-02T05:34:05.000Z'],
  ])('%j is %j', (value, expected) => {
    expect(parseGrantTime('not_before', value)?.toISOString() ?? null).toBe(expected);
  });

  it.each([
    ['not_before', 'yesterday', 'not_before: yesterday is not a valid time'],
    ['not_after', '2026-13-01', 'not_after: 2026-13-01 is not a valid time'],
    ['not_after', '2026-01-02T25:00:00', 'not_after: 2026-01-02T25:00:00 is not a valid time'],
  ])('%s %j is refused', (field, value, message) => {
    expect(() => parseGrantTime(field, value)).toThrow(
      expect.objectContaining({ kind: 'badRequest', message }),
    );
  });
});

describe('grantWindowOf', () => {
  it('no times: an open window', () => {
    expect(grantWindowOf({})).toEqual({ notBefore: null, notAfter: null });
  });

  it('one side only, or both in order', () => {
    expect(grantWindowOf({ not_after: '2026-02-01' })).toEqual({
      notBefore: null,
      notAfter: at('2026-02-01T00:00:00Z'),
    });
    expect(grantWindowOf({ not_before: '2026-01-01', not_after: '2026-01-01 00:00:01' })).toEqual({
      notBefore: at('2026-01-01T00:00:00Z'),
      notAfter: at('2026-01-01T00:00:01Z'),
    });
  });

  it.each([
    ['2026-01-02', '2026-01-01'],
    ['2026-01-01', '2026-01-01 00:00:00'],
  ])('from %j to %j is refused', (notBefore, notAfter) => {
    expect(() => grantWindowOf({ not_before: notBefore, not_after: notAfter })).toThrow(
      expect.objectContaining({
        kind: 'badRequest',
        message: 'not_after: must be later than not_before',
      }),
    );
  });
});

describe('isSameGrant', () => {
  const row = {
    revokedAt: null,
    notBefore: at('2026-01-01T00:00:00Z'),
    notAfter: null,
  };
  it.each([
    [row, { notBefore: at('2026-01-01T00:00:00Z'), notAfter: null }, true],
    [row, { notBefore: at('2026-01-01T00:00:01Z'), notAfter: null }, false],
    [row, { notBefore: null, notAfter: null }, false],
    [row, { notBefore: at('2026-01-01T00:00:00Z'), notAfter: at('2026-02-01T00:00:00Z') }, false],
    [
      { ...row, revokedAt: at('2026-01-05T00:00:00Z') },
      { notBefore: at('2026-01-01T00:00:00Z'), notAfter: null },
      false,
    ],
    [
      { revokedAt: null, notBefore: null, notAfter: null },
      { notBefore: null, notAfter: null },
      true,
    ],
  ])('%j against %j: %s', (grant, window, expected) => {
    expect(isSameGrant(grant, window)).toBe(expected);
  });
});

describe('grantRefusal', () => {
  const window = {
    revokedAt: null,
    notBefore: at('2026-01-01T00:00:00Z'),
    notAfter: at('2026-02-01T00:00:00Z'),
  };
  it.each([
    [window, '2026-01-15T00:00:00Z', undefined],
    [window, '2026-01-01T00:00:00Z', undefined],
    [window, '2025-12-31T23:59:59Z', 'is valid from 2026-01-01T00:00:00.000Z'],
    [window, '2026-02-01T00:00:00Z', 'expired at 2026-02-01T00:00:00.000Z'],
    [window, '2027-01-01T00:00:00Z', 'expired at 2026-02-01T00:00:00.000Z'],
    [
      { ...window, revokedAt: at('2026-01-10T12:00:00Z') },
      '2026-01-15T00:00:00Z',
      'was revoked at 2026-01-10T12:00:00.000Z',
    ],
    [
      { ...window, revokedAt: at('2026-01-10T12:00:00Z') },
      '2025-06-01T00:00:00Z',
      'was revoked at 2026-01-10T12:00:00.000Z',
    ],
    [{ revokedAt: null, notBefore: null, notAfter: null }, '1999-01-01T00:00:00Z', undefined],
  ])('%j at %s: %j', (grant, now, expected) => {
    expect(grantRefusal(grant, at(now))).toBe(expected);
  });
});

describe('releaseWindowOf', () => {
  const grant = { notBefore: at('2026-01-01T00:00:00Z'), notAfter: at('2026-02-01T00:00:00Z') };
  it("the owner's release has no window, grant or not", () => {
    expect(releaseWindowOf('owner', 'owner', grant)).toEqual({ notBefore: null, notAfter: null });
    expect(releaseWindowOf('owner', 'owner', undefined)).toEqual({
      notBefore: null,
      notAfter: null,
    });
  });
  it("anyone else's is the grant's window", () => {
    expect(releaseWindowOf('owner', 'viewer', grant)).toEqual({
      notBefore: at('2026-01-01T00:00:00Z'),
      notAfter: at('2026-02-01T00:00:00Z'),
    });
    expect(releaseWindowOf('owner', 'viewer', undefined)).toEqual({
      notBefore: null,
      notAfter: null,
    });
  });
});
