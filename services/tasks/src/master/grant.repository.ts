import {
  CommandSubjects as S,
  VaultError,
  type CreateGrantRequest,
  type Grant,
  type MasterSource,
  type Principal,
} from '@media-vault/contracts';
import { enqueueEvents } from '@media-vault/service-kit';
import { and, asc, eq } from 'drizzle-orm';
import type { TasksDatabase } from '../db/index.js';
import { grants, type GrantRow, type SourceRow } from '../db/schema.js';
import { authorize, type ObjectCommand } from '../permissions.js';
import { grantEvent } from './master.events.js';
import { toGrant, toSource } from './master.mapper.js';
import { findSource, uploadOfSource, type Db } from './master.reads.js';

export async function findGrant(
  db: Db,
  sourceId: number,
  userId: string,
  { lock = false } = {},
): Promise<GrantRow | undefined> {
  const query = db
    .select()
    .from(grants)
    .where(and(eq(grants.sourceId, sourceId), eq(grants.userId, userId)));
  return (await (lock ? query.for('update') : query))[0];
}

type SourceCommand =
  | typeof S.sourceGet
  | typeof S.grantCreate
  | typeof S.grantList
  | typeof S.grantRevoke
  | typeof S.downloadCreate;

/** Reads a source with the caller's grant on it and applies the command's rule to both. */
export async function authorizedSource(
  db: Db,
  command: SourceCommand & ObjectCommand,
  principal: Principal,
  sourceId: number,
  opts: { lock?: boolean } = {},
): Promise<SourceRow> {
  const source = await findSource(db, sourceId, opts);
  const grant = source && (await findGrant(db, sourceId, principal.id));
  authorize(command, principal, { id: sourceId, ownerId: source?.userId, grant });
  return source!;
}

/** Accepts ISO 8601 with or without a zone (none means UTC) and the seed's `YYYY-MM-DD HH:mm:ss`. */
export function parseGrantTime(field: string, value: string | undefined): Date | null {
  if (value === undefined || value === '') return null;
  let text = value.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00';
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += 'Z';
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) {
    throw new VaultError('badRequest', `${field}: ${value} is not a valid time`);
  }
  return time;
}

const sameTime = (a: Date | null, b: Date | null) =>
  (a?.getTime() ?? null) === (b?.getTime() ?? null);

export class GrantRepository {
  constructor(private readonly db: TasksDatabase) {}

  async getSource(principal: Principal, sourceId: number): Promise<MasterSource> {
    const source = await authorizedSource(this.db, S.sourceGet, principal, sourceId);
    return toSource(await uploadOfSource(this.db, source));
  }

  /**
   * Authorises a user to download a source within an optional window. Granting again replaces
   * the window and lifts a revocation; granting the same window again changes nothing.
   */
  async create(
    principal: Principal,
    request: CreateGrantRequest,
  ): Promise<{ grant: Grant; changed: boolean }> {
    const notBefore = parseGrantTime('not_before', request.not_before);
    const notAfter = parseGrantTime('not_after', request.not_after);
    if (notBefore && notAfter && notAfter <= notBefore) {
      throw new VaultError('badRequest', 'not_after: must be later than not_before');
    }
    return this.db.transaction(async (tx) => {
      const source = await authorizedSource(tx, S.grantCreate, principal, request.source_id);
      if (request.user_id === source.userId) {
        throw new VaultError(
          'badRequest',
          `user_id: ${request.user_id} owns source ${source.id} and needs no grant`,
        );
      }
      const [inserted] = await tx
        .insert(grants)
        .values({
          sourceId: source.id,
          userId: request.user_id,
          grantedBy: principal.id,
          notBefore,
          notAfter,
        })
        .onConflictDoNothing({ target: [grants.sourceId, grants.userId] })
        .returning();
      if (inserted) {
        const grant = toGrant(inserted);
        await enqueueEvents(tx, [grantEvent(grant, null)]);
        return { grant, changed: true };
      }
      const existing = (await findGrant(tx, source.id, request.user_id, { lock: true }))!;
      if (
        existing.revokedAt === null &&
        sameTime(existing.notBefore, notBefore) &&
        sameTime(existing.notAfter, notAfter)
      ) {
        return { grant: toGrant(existing), changed: false };
      }
      const [updated] = await tx
        .update(grants)
        .set({
          notBefore,
          notAfter,
          revokedAt: null,
          grantedBy: principal.id,
          updatedAt: new Date(),
        })
        .where(eq(grants.id, existing.id))
        .returning();
      const grant = toGrant(updated!);
      await enqueueEvents(tx, [grantEvent(grant, toGrant(existing).status)]);
      return { grant, changed: true };
    });
  }

  async list(principal: Principal, sourceId: number): Promise<Grant[]> {
    await authorizedSource(this.db, S.grantList, principal, sourceId);
    const rows = await this.db
      .select()
      .from(grants)
      .where(eq(grants.sourceId, sourceId))
      .orderBy(asc(grants.id));
    const now = new Date();
    return rows.map((row) => toGrant(row, now));
  }

  /** Stops the user from starting downloads of the source; revoking twice changes nothing. */
  async revoke(
    principal: Principal,
    request: { source_id: number; user_id: string },
  ): Promise<{ grant: Grant; changed: boolean }> {
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
      const [updated] = await tx
        .update(grants)
        .set({ revokedAt: now, updatedAt: now })
        .where(eq(grants.id, existing.id))
        .returning();
      const grant = toGrant(updated!, now);
      await enqueueEvents(tx, [grantEvent(grant, 'active')]);
      return { grant, changed: true };
    });
  }
}
