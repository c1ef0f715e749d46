import { describe, expect, it } from 'vitest';
import { uploadLabel } from '../src/format.js';

describe('upload row label', () => {
  it.each<[string, string | undefined, string]>([
    ['hashing', undefined, 'reading the file'],
    ['uploading', undefined, 'uploading'],
    ['merging', undefined, 'asking for the merge'],
    ['done', 'MERGING', 'uploaded, merging'],
    ['done', 'SUBMIT', 'uploaded, waiting for review'],
    ['done', 'POST', 'published'],
    ['done', 'DRAFT', 'uploaded, kept as a draft'],
    ['done', 'SOMETHING_NEW', 'uploaded, SOMETHING_NEW'],
    ['done', undefined, 'uploaded'],
    ['failed', undefined, 'failed'],
  ])('%s with status %s reads "%s"', (state, status, label) => {
    expect(uploadLabel(state, status)).toBe(label);
  });
});
