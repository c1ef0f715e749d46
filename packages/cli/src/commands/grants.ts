import type { Grant, RevokeGrantBody, SignedGrant } from '@media-vault/contracts';
import {
  decodeRawKey,
  encodeRawKey,
  fingerprintDisplay,
  fingerprintHex,
  grantStatementFor,
  loadOwnerKey,
  signGrant,
  signRevocation,
  type OwnerKey,
} from '@media-vault/sealed';
import { readFile } from 'node:fs/promises';
import type { Invocation } from '../cli.js';
import { ExitCode, usageError } from '../exit-codes.js';
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
      [
        'source_id',
        'user',
        'status',
        'valid now',
        'window (UTC)',
        'signed for agent',
        'granted by',
        'updated',
      ],
      grants.map((g) => [
        g.source_id,
        g.user_id,
        g.status,
        g.valid ? 'yes' : 'no',
        window(g),
        g.signed_grant?.statement.recipient_agent ?? '— (no key release)',
        g.granted_by,
        g.updated_at,
      ]),
    ),
  );
}

/** The time a grant option names, read as the platform reads it (no zone: UTC). */
function grantTime(text: string | undefined): Date | null {
  if (text === undefined || text === '') return null;
  const iso = text.replace(' ', 'T');
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`;
  return new Date(/^\d{4}-\d{2}-\d{2}Z$/.test(zoned) ? `${iso}T00:00:00Z` : zoned);
}

async function readOwnerKey(ctx: CommandContext, file: string | undefined): Promise<OwnerKey> {
  const path = file ?? ctx.global.ownerKeyFile;
  if (!path) {
    throw usageError(
      'no owner key: pass --owner-key or set VAULT_OWNER_KEY (your agent made one: <agent-dir>/owner.json)',
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw usageError(`cannot read the owner key ${path}: ${(err as Error).message}`);
  }
  try {
    return loadOwnerKey(text);
  } catch (err) {
    throw usageError(`${path}: ${(err as Error).message}`);
  }
}

const shown = (key: string) => fingerprintDisplay(fingerprintHex(decodeRawKey(key)));

/**
 * The owner-signed statement for `vault grant --agent`: read the source and both agents, check
 * that the owner key is the one the sealing agent obeys, show the fingerprints being signed.
 */
async function signedGrantFor(
  ctx: CommandContext,
  inv: Extract<Invocation, { command: 'grant' }>,
  agent: string,
): Promise<SignedGrant> {
  const owner = await readOwnerKey(ctx, inv.ownerKey);
  const source = await ctx.api.getSource(inv.sourceId);
  if (!source.sealed_by || source.hash === '') {
    throw usageError(
      `source ${inv.sourceId} has no sealed public block yet, so there is no key to grant`,
    );
  }
  const sealer = await ctx.api.getAgent(source.sealed_by);
  if (sealer.owner_key !== encodeRawKey(owner.publicKey)) {
    throw usageError(
      `this owner key (${shown(encodeRawKey(owner.publicKey))}) is not the one agent ${sealer.id} obeys (${sealer.owner_key ? shown(sealer.owner_key) : 'none'})`,
    );
  }
  const recipient = await ctx.api.getAgent(agent);
  if (recipient.user_id !== inv.userId) {
    throw usageError(`agent ${agent} belongs to user ${recipient.user_id}, not ${inv.userId}`);
  }
  const statement = grantStatementFor({
    source: { uuid: source.uuid, publicBlock: source.hash, owner: source.user_id },
    sealer,
    recipient,
    notBefore: grantTime(inv.notBefore),
    notAfter: grantTime(inv.notAfter),
  });
  // Compare these with the licensee out of band: the platform served them and could lie.
  ctx.note(`signing a grant of source ${inv.sourceId} for user ${inv.userId}'s agent ${agent}`);
  ctx.note(`  ${agent} X25519  ${shown(recipient.public_key)}`);
  ctx.note(`  ${agent} Ed25519 ${shown(recipient.signing_key)}`);
  ctx.note(`  sealer ${sealer.id} Ed25519 ${shown(sealer.signing_key)}`);
  return signGrant(statement, owner);
}

/** `vault grant`: granting again replaces the window and lifts a revocation (the API's rule). */
export const grant: CommandHandler<'grant'> = async (ctx, inv) => {
  const body = inv.agent
    ? { user_id: inv.userId, signed_grant: await signedGrantFor(ctx, inv, inv.agent) }
    : {
        user_id: inv.userId,
        ...(inv.notBefore !== undefined ? { not_before: inv.notBefore } : {}),
        ...(inv.notAfter !== undefined ? { not_after: inv.notAfter } : {}),
      };
  if (!inv.agent) {
    ctx.note(
      'without --agent the grant is not signed: it lets the user open downloads, but no agent releases the key for it',
    );
  }
  const created = await ctx.api.createGrant(inv.sourceId, body);
  printGrants(ctx, [created], created);
  return ExitCode.ok;
};

export const grants: CommandHandler<'grants'> = async (ctx, inv) => {
  printGrants(ctx, await ctx.api.listGrants(inv.sourceId));
  return ExitCode.ok;
};

/**
 * `vault revoke`: new downloads are refused and no key is released for the grant afterwards.
 * With an owner key at hand and a signed grant to withdraw, the revocation is signed too.
 */
export const revoke: CommandHandler<'revoke'> = async (ctx, inv) => {
  const ownerKeyFile = inv.ownerKey ?? ctx.global.ownerKeyFile;
  let body: RevokeGrantBody | undefined;
  if (ownerKeyFile) {
    const current = (await ctx.api.listGrants(inv.sourceId)).find((g) => g.user_id === inv.userId);
    const statement = current?.signed_grant?.statement;
    if (statement) {
      const owner = await readOwnerKey(ctx, ownerKeyFile);
      body = {
        signed_revocation: signRevocation(
          { grant: statement.id, source: statement.source, revoked_at: new Date().toISOString() },
          owner,
        ),
      };
    }
  }
  const revoked = await ctx.api.revokeGrant(inv.sourceId, inv.userId, body);
  printGrants(ctx, [revoked], revoked);
  return ExitCode.ok;
};
