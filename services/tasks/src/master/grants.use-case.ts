import {
  CommandSubjects as S,
  VaultError,
  type CreateGrantRequest,
  type Grant,
  type MasterSource,
  type Principal,
} from '@media-vault/contracts';
import { enqueueEvents } from '@media-vault/service-kit';
import { appendGrantEntry } from '../audit/audit.use-case.js';
import type { TasksDatabase } from '../db/index.js';
import { findGrant, insertGrant, listGrantsOfSource, updateGrant } from './grant.repository.js';
import { grantWindowOf, isSameGrant } from './grant.rules.js';
import { grantEvent } from './master.events.js';
import { toGrant, toSource } from './master.mapper.js';
import { authorizedSource, uploadOfSource } from './master.reads.js';

export interface GrantChangeResult {
  readonly grant: Grant;
  /** False when the request changed nothing: no write, no event. */
  readonly changed: boolean;
}

/** Who besides its owner may download a source, and when. */
export class Grants {
  constructor(private readonly db: TasksDatabase) {}

  async getSource(principal: Principal, sourceId: number): Promise<MasterSource> {
    const source = await authorizedSource(this.db, S.sourceGet, principal, sourceId);
    return toSource(await uploadOfSource(this.db, source));
  }

  /**
   * Authorises a user to download a source within an optional window. Granting again replaces
   * the window and lifts a revocation; granting the same window again changes nothing.
   */
  async create(principal: Principal, request: CreateGrantRequest): Promise<GrantChangeResult> {
    const window = grantWindowOf(request);
    return this.db.transaction(async (tx) => {
      const source = await authorizedSource(tx, S.grantCreate, principal, request.source_id);
      if (request.user_id === source.userId) {
        throw new VaultError(
          'badRequest',
          `user_id: ${request.user_id} owns source ${source.id} and needs no grant`,
        );
      }
      const inserted = await insertGrant(tx, {
        sourceId: source.id,
        userId: request.user_id,
        grantedBy: principal.id,
        ...window,
      });
      if (inserted) {
        const grant = toGrant(inserted);
        await enqueueEvents(tx, [grantEvent(grant, null)]);
        await appendGrantEntry(tx, 'grant', principal, grant);
        return { grant, changed: true };
      }
      const existing = (await findGrant(tx, source.id, request.user_id, { lock: true }))!;
      if (isSameGrant(existing, window)) return { grant: toGrant(existing), changed: false };
      const updated = await updateGrant(tx, existing.id, {
        ...window,
        revokedAt: null,
        grantedBy: principal.id,
      });
      const grant = toGrant(updated);
      await enqueueEvents(tx, [grantEvent(grant, toGrant(existing).status)]);
      await appendGrantEntry(tx, 'grant', principal, grant);
      return { grant, changed: true };
    });
  }

  async list(principal: Principal, sourceId: number): Promise<Grant[]> {
    await authorizedSource(this.db, S.grantList, principal, sourceId);
    const rows = await listGrantsOfSource(this.db, sourceId);
    const now = new Date();
    return rows.map((row) => toGrant(row, now));
  }

  /** Stops the user from starting downloads of the source; revoking twice changes nothing. */
  async revoke(
    principal: Principal,
    request: { source_id: number; user_id: string },
  ): Promise<GrantChangeResult> {
    return this.db.transaction(async (tx) => {
      await authorizedSource(tx, S.grantRevoke, principal, request.source_id);
      const existing = await findGrant(tx, request.source_id, request.user_id, { lock: true });
      if (!existing) {
        throw new VaultError(
          'notFound',
          `${request.user_id} holds no grant for source ${request.source_id}`,
        );
      }
      if (existing.revokedAt) return { grant: toGrant(existing), changed: false };
      const now = new Date();
      const grant = toGrant(
        await updateGrant(tx, existing.id, { revokedAt: now, updatedAt: now }),
        now,
      );
      await enqueueEvents(tx, [grantEvent(grant, 'active')]);
      await appendGrantEntry(tx, 'revoke', principal, grant);
      return { grant, changed: true };
    });
  }
}
