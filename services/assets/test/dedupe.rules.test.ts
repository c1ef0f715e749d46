import type { AssetStatus, Principal } from '@media-vault/contracts';
import { describe, expect, it } from 'vitest';
import { decideDedupe, type DedupeCandidate } from '../src/audio/dedupe.rules.js';

const me: Principal = { id: 'me', name: 'me', roles: [100] };
const root: Principal = { id: 'boss', name: 'boss', roles: [1] };
const asset = (userId: string, status: AssetStatus, size = 1000n): DedupeCandidate => ({
  userId,
  status,
  size,
});

describe('de-duplication rule', () => {
  it.each(['SUBMIT', 'POST', 'DISABLE'] as const)('copies my own %s asset', (status) => {
    const mine = asset('me', status);
    expect(decideDedupe(me, { size: 1000n }, [mine])).toEqual({ kind: 'copy', source: mine });
  });

  it.each(['DRAFT', 'MERGING', 'REJECT', 'DELETE'] as const)(
    'does not copy my own %s asset: its files are not complete or not mine to keep',
    (status) => {
      expect(decideDedupe(me, { size: 1000n }, [asset('me', status)])).toEqual({ kind: 'upload' });
    },
  );

  it.each(['SUBMIT', 'POST', 'DISABLE'] as const)(
    'never copies another user’s %s asset, for root neither: the caller must upload',
    (status) => {
      const theirs = asset('someone-else', status);
      expect(decideDedupe(me, { size: 1000n }, [theirs])).toEqual({ kind: 'upload' });
      expect(decideDedupe(root, { size: 1000n }, [theirs])).toEqual({ kind: 'upload' });
    },
  );

  it('picks my asset among other users’ ones', () => {
    const mine = asset('me', 'POST');
    const decision = decideDedupe(me, { size: 1000n }, [asset('other', 'SUBMIT'), mine]);
    expect(decision).toEqual({ kind: 'copy', source: mine });
  });

  it('refuses a size that differs from my own asset with that hash', () => {
    expect(() => decideDedupe(me, { size: 999n }, [asset('me', 'SUBMIT')])).toThrow(
      expect.objectContaining({
        kind: 'badRequest',
        message: 'size: your asset with this hash has 1000 bytes, not 999',
      }),
    );
  });

  it('says nothing of another user’s asset whose size differs: a plain upload', () => {
    expect(decideDedupe(me, { size: 999n }, [asset('other', 'POST')])).toEqual({ kind: 'upload' });
  });
});
