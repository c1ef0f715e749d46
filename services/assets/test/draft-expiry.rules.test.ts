import type { AssetStatus } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import { EXPIRY_BATCH, expiryCutoff, isAbandonedDraft } from '../src/audio/draft-expiry.rules.js';

const cutoff = new Date('2026-01-02T00:00:00.000Z');
const before = new Date('2026-01-01T23:59:59.999Z');

describe('draft expiry', () => {
  it('cuts off the given time before now', () => {
    expect(expiryCutoff(new Date('2026-01-03T00:00:00.000Z'), 86_400_000)).toEqual(cutoff);
    expect(expiryCutoff(new Date('2026-01-02T00:00:01.000Z'), 1000)).toEqual(cutoff);
  });

  it.each([
    ['DRAFT', false, before, true],
    ['DRAFT', false, cutoff, false],
    ['DRAFT', false, new Date('2026-01-02T00:00:00.001Z'), false],
    ['DRAFT', true, before, false],
    ['MERGING', false, before, false],
    ['SUBMIT', true, before, false],
    ['POST', true, before, false],
    ['REJECT', true, before, false],
    ['DISABLE', true, before, false],
    ['DELETE', false, before, false],
  ] as const)(
    'a %s (merged: %s) last touched %s is abandoned: %s',
    (status, merged, at, expected) => {
      expect(
        isAbandonedDraft({ status: status as AssetStatus, merged, updatedAt: at }, cutoff),
      ).toBe(expected);
    },
  );

  it('sweeps at most 500 drafts at a time', () => {
    expect(EXPIRY_BATCH).toBe(500);
  });
});
