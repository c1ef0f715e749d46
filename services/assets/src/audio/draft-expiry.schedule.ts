import type { Logger, OutboxRelay } from '@media-vault/service-kit';
import type { DraftExpiryUseCase } from './draft-expiry.use-case.js';
import type { OrphanChunksUseCase } from './orphan-chunks.use-case.js';

/**
 * Periodically deletes abandoned drafts (every replica may run it, row locks keep it single) and
 * the staged chunks nothing recorded.
 */
export function startDraftExpiry(opts: {
  expiry: Pick<DraftExpiryUseCase, 'expireDrafts'>;
  relay: Pick<OutboxRelay, 'notify'>;
  ttlMs: number;
  orphans?: Pick<OrphanChunksUseCase, 'sweep'>;
  orphanGraceMs?: number;
  everyMs: number;
  log: Logger;
}): { stop(): void } {
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const expired = await opts.expiry.expireDrafts(opts.ttlMs);
      if (expired > 0) {
        opts.relay.notify();
        opts.log.info({ expired }, 'abandoned drafts deleted');
      }
    } catch (err) {
      opts.log.warn({ err }, 'draft expiry failed; will try again');
    }
    try {
      const freed = await opts.orphans?.sweep(opts.orphanGraceMs ?? 3_600_000);
      if (freed) opts.log.info({ freed }, 'staged chunks nothing recorded deleted');
    } catch (err) {
      opts.log.warn({ err }, 'orphan chunk sweep failed; will try again');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), opts.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
