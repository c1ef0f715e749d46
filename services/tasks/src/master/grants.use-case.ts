import {
  CommandSubjects as S,
  VaultError,
  type CreateGrantRequest,
  type Grant,
  type MasterSource,
  type Principal,
  type RevokeGrantRequest,
  type SignedGrant,
} from '@media-vault/contracts';
import { enqueueEvents } from '@media-vault/service-kit';
import { findAgent } from '../agents/agent.repository.js';
import { appendGrantEntry } from '../audit/audit.use-case.js';
import type { Db } from '../db/access.js';
import type { TasksDatabase } from '../db/index.js';
import type { SourceRow } from '../db/schema.js';
import { findGrant, insertGrant, listGrantsOfSource, updateGrant } from './grant.repository.js';
import { grantWindowOf, isSameGrant, type GrantWindow } from './grant.rules.js';
import { grantEvent } from './master.events.js';
import { toGrant, toSource } from './master.mapper.js';
import { authorizedSource, uploadOfSource } from './master.reads.js';
import {
  signedGrantProblem,
  signedRevocationProblem,
  windowOfStatement,
} from './signed-grant.rules.js';

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
    const requested = grantWindowOf(request);
    const signed = request.signed_grant ?? null;
    return this.db.transaction(async (tx) => {
      const source = await authorizedSource(tx, S.grantCreate, principal, request.source_id);
      // An owner downloads without a grant; a signed one lets another agent of theirs receive keys.
      if (request.user_id === source.userId && !signed) {
        throw new VaultError(
          'badRequest',
          `user_id: ${request.user_id} owns source ${source.id} and needs no grant`,
        );
      }
      const window = signed
        ? await this.checkedStatementWindow(tx, source, request.user_id, signed, requested)
        : requested;
      const inserted = await insertGrant(tx, {
        sourceId: source.id,
        userId: request.user_id,
        grantedBy: principal.id,
        ...window,
        signedGrant: signed,
      });
      if (inserted) {
        const grant = toGrant(inserted);
        await enqueueEvents(tx, [grantEvent(grant, null)]);
        await appendGrantEntry(tx, 'grant', principal, grant);
        return { grant, changed: true };
      }
      const existing = (await findGrant(tx, source.id, request.user_id, { lock: true }))!;
      if (isSameGrant(existing, window, signed?.statement.id ?? null)) {
        return { grant: toGrant(existing), changed: false };
      }
      const updated = await updateGrant(tx, existing.id, {
        ...window,
        revokedAt: null,
        signedGrant: signed,
        signedRevocation: null,
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
  async revoke(principal: Principal, request: RevokeGrantRequest): Promise<GrantChangeResult> {
    const signed = request.signed_revocation ?? null;
    return this.db.transaction(async (tx) => {
      const source = await authorizedSource(tx, S.grantRevoke, principal, request.source_id);
      const existing = await findGrant(tx, request.source_id, request.user_id, { lock: true });
      if (!existing) {
        throw new VaultError(
          'notFound',
          `${request.user_id} holds no grant for source ${request.source_id}`,
        );
      }
      if (signed) {
        const sealer = source.sealedBy ? await findAgent(tx, source.sealedBy) : undefined;
        const problem = signedRevocationProblem(signed, existing.signedGrant, sealer);
        if (problem) throw new VaultError('badRequest', problem);
      }
      // Revoked already: only a signed revocation not yet kept is news.
      if (existing.revokedAt && (!signed || existing.signedRevocation)) {
        return { grant: toGrant(existing), changed: false };
      }
      const now = new Date();
      const grant = toGrant(
        await updateGrant(tx, existing.id, {
          revokedAt: existing.revokedAt ?? now,
          signedRevocation: signed ?? existing.signedRevocation,
          updatedAt: now,
        }),
        now,
      );
      await enqueueEvents(tx, [grantEvent(grant, toGrant(existing).status)]);
      await appendGrantEntry(tx, 'revoke', principal, grant);
      return { grant, changed: true };
    });
  }

  /** The window of a signed grant once the statement checks out against the rows it names. */
  private async checkedStatementWindow(
    tx: Db,
    source: SourceRow,
    userId: string,
    signed: SignedGrant,
    requested: GrantWindow,
  ): Promise<GrantWindow> {
    const { upload } = await uploadOfSource(tx, source);
    const problem = signedGrantProblem(signed, {
      source,
      publicBlock: upload.hash,
      sealer: source.sealedBy ? await findAgent(tx, source.sealedBy) : undefined,
      recipient: await findAgent(tx, signed.statement.recipient_agent),
      userId,
      window: requested,
    });
    if (problem) throw new VaultError('badRequest', problem);
    return windowOfStatement(signed);
  }
}
