import type { AssetStatus } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import {
  checkOwnDelete,
  checkSubmittable,
  checkUploadable,
  mergeFailedReason,
  mergeStep,
  statusAfterMerge,
  takesChunks,
} from '../src/audio/asset-state.rules.js';

const asset = (status: AssetStatus, merged = false) => ({ id: 5n, status, merged });
const conflict = (message: string) => expect.objectContaining({ kind: 'conflict', message });

describe('chunk upload', () => {
  it('goes to an unmerged DRAFT', () => {
    expect(() => checkUploadable(asset('DRAFT'))).not.toThrow();
  });

  it.each([
    ['DRAFT', true, 'asset 5 is a merged DRAFT; chunks go only to an unmerged DRAFT'],
    ['MERGING', false, 'asset 5 is MERGING; chunks go only to an unmerged DRAFT'],
    ['SUBMIT', true, 'asset 5 is SUBMIT; chunks go only to an unmerged DRAFT'],
    ['POST', true, 'asset 5 is POST; chunks go only to an unmerged DRAFT'],
    ['REJECT', true, 'asset 5 is REJECT; chunks go only to an unmerged DRAFT'],
    ['DISABLE', true, 'asset 5 is DISABLE; chunks go only to an unmerged DRAFT'],
  ] as const)('is refused to %s (merged: %s)', (status, merged, message) => {
    expect(() => checkUploadable(asset(status, merged))).toThrow(conflict(message));
  });

  // Once no chunk can be recorded, every staged object of the asset is garbage.
  it.each([
    ['DRAFT', false, true],
    ['DRAFT', true, false],
    ['MERGING', false, false],
    ['SUBMIT', true, false],
    ['DELETE', false, false],
    ['DELETE', true, false],
  ] as const)('%s (merged: %s) takes chunks: %s', (status, merged, takes) => {
    expect(takesChunks(asset(status, merged))).toBe(takes);
  });
});

describe('merge', () => {
  it.each([
    ['DRAFT', false, 'merge'],
    ['MERGING', false, 'unchanged'],
  ] as const)('of a %s (merged: %s): %s', (status, merged, step) => {
    expect(mergeStep(asset(status, merged))).toBe(step);
  });

  it.each([
    ['DRAFT', true, 'asset 5 is already merged; submit it instead'],
    ['SUBMIT', true, 'asset 5 is SUBMIT; only a DRAFT can be merged'],
    ['POST', true, 'asset 5 is POST; only a DRAFT can be merged'],
    ['REJECT', true, 'asset 5 is REJECT; only a DRAFT can be merged'],
    ['DISABLE', true, 'asset 5 is DISABLE; only a DRAFT can be merged'],
  ] as const)('of a %s (merged: %s) is refused', (status, merged, message) => {
    expect(() => mergeStep(asset(status, merged))).toThrow(conflict(message));
  });

  it('ends in SUBMIT when asked to, else in a merged DRAFT', () => {
    expect(statusAfterMerge(true)).toBe('SUBMIT');
    expect(statusAfterMerge(false)).toBe('DRAFT');
  });

  it('tells the owner to upload again when it failed', () => {
    expect(mergeFailedReason('not an mp3')).toBe(
      'merge failed: not an mp3; upload the chunks again',
    );
  });
});

describe('submit', () => {
  it('takes a merged DRAFT', () => {
    expect(() => checkSubmittable(asset('DRAFT', true))).not.toThrow();
  });

  it.each([
    ['DRAFT', false, 'asset 5 is DRAFT and not merged; only a merged DRAFT can be submitted'],
    ['MERGING', false, 'asset 5 is MERGING and not merged; only a merged DRAFT can be submitted'],
    ['SUBMIT', true, 'asset 5 is SUBMIT; only a merged DRAFT can be submitted'],
    ['POST', true, 'asset 5 is POST; only a merged DRAFT can be submitted'],
  ] as const)('refuses a %s (merged: %s)', (status, merged, message) => {
    expect(() => checkSubmittable(asset(status, merged))).toThrow(conflict(message));
  });
});

describe('own delete', () => {
  it.each([
    ['DRAFT', 'DRAFT', null],
    ['REJECT', 'REJECT', null],
    ['DRAFT', 'REJECT', 'asset 5 is DRAFT, not REJECT'],
    ['REJECT', 'DRAFT', 'asset 5 is REJECT, not DRAFT'],
    ['SUBMIT', 'DRAFT', 'asset 5 is SUBMIT, not DRAFT'],
    ['POST', 'REJECT', 'asset 5 is POST, not REJECT'],
    ['MERGING', 'DRAFT', 'asset 5 is MERGING, not DRAFT'],
  ] as const)('of a %s by Delete%s: %s', (status, command, message) => {
    const act = () => checkOwnDelete(asset(status), command);
    if (message === null) expect(act).not.toThrow();
    else expect(act).toThrow(conflict(message));
  });
});
