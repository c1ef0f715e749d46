import type { Grant } from '@media-vault/contracts';
import { ExitCode } from '../exit-codes.js';
import { renderTable } from '../table.js';
import type { CommandContext, CommandHandler } from './context.js';

const window = (g: Grant) => `${g.not_before ?? '…'} – ${g.not_after ?? '…'}`;

/** A table for people; with --json, `asJson` (the one grant a change returns, or the list). */
function printGrants(
  ctx: CommandContext,
  grants: readonly Grant[],
  asJson: unknown = grants,
): void {
  if (ctx.global.json) {
    ctx.printJson(asJson);
    return;
  }
  if (grants.length === 0) {
    ctx.print('no grants');
    return;
  }
  ctx.print(
    renderTable(
      ['source_id', 'user', 'status', 'valid now', 'window (UTC)', 'granted by', 'updated'],
      grants.map((g) => [
        g.source_id,
        g.user_id,
        g.status,
        g.valid ? 'yes' : 'no',
        window(g),
        g.granted_by,
        g.updated_at,
      ]),
    ),
  );
}

/** `vault grant`: granting again replaces the window and lifts a revocation (the API's rule). */
export const grant: CommandHandler<'grant'> = async (ctx, inv) => {
  const created = await ctx.api.createGrant(inv.sourceId, {
    user_id: inv.userId,
    ...(inv.notBefore !== undefined ? { not_before: inv.notBefore } : {}),
    ...(inv.notAfter !== undefined ? { not_after: inv.notAfter } : {}),
  });
  printGrants(ctx, [created], created);
  return ExitCode.ok;
};

export const grants: CommandHandler<'grants'> = async (ctx, inv) => {
  printGrants(ctx, await ctx.api.listGrants(inv.sourceId));
  return ExitCode.ok;
};

/** `vault revoke`: downloads already opened go on; new ones are refused. */
export const revoke: CommandHandler<'revoke'> = async (ctx, inv) => {
  const revoked = await ctx.api.revokeGrant(inv.sourceId, inv.userId);
  printGrants(ctx, [revoked], revoked);
  return ExitCode.ok;
};
