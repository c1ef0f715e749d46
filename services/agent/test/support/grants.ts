import type { Agent, Grant, MasterSource } from '@media-vault/contracts';
import {
  grantStatementFor,
  loadOwnerKey,
  OWNER_KEY_FILE,
  signGrant,
  signRevocation,
  type SignedGrant,
} from '@media-vault/sealed';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Platform, Reply } from './platform.js';

/** What `vault grant --agent` does, from the owner key in the sealing agent's key directory. */
export async function signedGrantOf(
  platform: Platform,
  opts: {
    readonly token: string;
    /** The sealing agent's key directory, where its owner key file lives. */
    readonly ownerDir: string;
    readonly sourceId: number;
    readonly userId: string;
    readonly agent: string;
    readonly notBefore?: Date;
    readonly notAfter?: Date;
  },
): Promise<SignedGrant> {
  const owner = loadOwnerKey(await readFile(join(opts.ownerDir, OWNER_KEY_FILE), 'utf8'));
  const source = (
    await platform.call<MasterSource>(opts.token, 'GET', `/sources/${opts.sourceId}/`)
  ).body.data;
  const agentOf = async (id: string) =>
    (await platform.call<Agent>(opts.token, 'GET', `/agents/${id}/`)).body.data;
  const statement = grantStatementFor({
    source: { uuid: source.uuid, publicBlock: source.hash, owner: source.user_id },
    sealer: await agentOf(source.sealed_by),
    recipient: await agentOf(opts.agent),
    notBefore: opts.notBefore ?? null,
    notAfter: opts.notAfter ?? null,
  });
  return signGrant(statement, owner);
}

/** Signs a grant as the owner and stores it on the platform. */
export async function grantSigned(
  platform: Platform,
  opts: Parameters<typeof signedGrantOf>[1],
): Promise<Reply<Grant>> {
  const signed = await signedGrantOf(platform, opts);
  return platform.call<Grant>(opts.token, 'POST', `/sources/${opts.sourceId}/grants/`, {
    user_id: opts.userId,
    signed_grant: signed,
  });
}

/** What `vault revoke` does: the owner-signed withdrawal of the grant's statement. */
export async function revokeSigned(
  platform: Platform,
  opts: { token: string; ownerDir: string; sourceId: number; userId: string; grant: Grant },
): Promise<Reply<Grant>> {
  const owner = loadOwnerKey(await readFile(join(opts.ownerDir, OWNER_KEY_FILE), 'utf8'));
  const statement = opts.grant.signed_grant!.statement;
  const signed = signRevocation(
    { grant: statement.id, source: statement.source, revoked_at: new Date().toISOString() },
    owner,
  );
  return platform.call<Grant>(
    opts.token,
    'DELETE',
    `/sources/${opts.sourceId}/grants/${opts.userId}/`,
    { signed_revocation: signed },
  );
}
