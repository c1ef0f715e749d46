import type { SignedGrant, SignedRevocation } from '@media-vault/contracts';
import {
  decodeRawKey,
  fingerprintHex,
  grantSignatureProblem,
  revocationSignatureProblem,
} from '@media-vault/sealed';
import type { AgentRow, SourceRow } from '../db/schema.js';
import type { GrantWindow } from './grant.rules.js';

/*
 * The platform checks a signed statement before storing it only to refuse mistakes early (400)
 * instead of at release time. It is not what protects the key: the sealing agent checks the same
 * things against the owner key on its own disk, whatever the platform stored.
 */

export interface SignedGrantFacts {
  readonly source: Pick<SourceRow, 'uuid' | 'userId' | 'sealedBy'>;
  /** The public block's CID, '' while the source has none. */
  readonly publicBlock: string;
  readonly sealer: Pick<AgentRow, 'id' | 'signingKey' | 'ownerKey'> | undefined;
  readonly recipient: Pick<AgentRow, 'id' | 'userId' | 'publicKey' | 'signingKey'> | undefined;
  readonly userId: string;
  /** The window the request asked for beside the statement, if it named one. */
  readonly window: GrantWindow;
}

const fingerprint = (key: string) => fingerprintHex(decodeRawKey(key));
const isoOrNull = (time: Date | null) => time?.toISOString() ?? null;

/** Why a signed grant cannot be stored for this request; undefined when it can. */
export function signedGrantProblem(
  signed: SignedGrant,
  facts: SignedGrantFacts,
): string | undefined {
  const s = signed.statement;
  const { source, sealer, recipient } = facts;
  if (!source.sealedBy || !sealer)
    return 'the source was not sealed by an agent, so no agent can release it';
  if (!sealer.ownerKey)
    return `agent ${sealer.id} registered no owner key, so it obeys no signed grant`;
  const checks: [boolean, string][] = [
    [s.source === source.uuid, `names source ${s.source}, not this source's uuid`],
    [
      s.public_block === facts.publicBlock,
      `names public block ${s.public_block}, not this source's`,
    ],
    [s.owner === source.userId, `names owner ${s.owner}, not the source's owner`],
    [s.recipient === facts.userId, `names recipient ${s.recipient}, not user_id ${facts.userId}`],
    [s.sealer === sealer.id, `names sealer ${s.sealer}, not ${sealer.id}, which sealed the source`],
    [
      s.sealer_signing_key === fingerprint(sealer.signingKey),
      `names another signing key for ${sealer.id}`,
    ],
    [recipient !== undefined, `names agent ${s.recipient_agent}, which is not registered`],
  ];
  for (const [ok, problem] of checks) if (!ok) return `signed_grant: the statement ${problem}`;
  if (recipient!.userId !== facts.userId) {
    return `signed_grant: agent ${recipient!.id} is not an agent of user ${facts.userId}`;
  }
  if (
    s.recipient_public_key !== fingerprint(recipient!.publicKey) ||
    s.recipient_signing_key !== fingerprint(recipient!.signingKey)
  ) {
    return `signed_grant: the statement names keys agent ${recipient!.id} does not have`;
  }
  const { notBefore, notAfter } = facts.window;
  if (
    (notBefore !== null && isoOrNull(notBefore) !== s.not_before) ||
    (notAfter !== null && isoOrNull(notAfter) !== s.not_after)
  ) {
    return 'not_before/not_after: differ from the signed statement (leave them out: it carries the window)';
  }
  const problem = grantSignatureProblem(signed, decodeRawKey(sealer.ownerKey));
  return problem && `signed_grant: ${problem} (the owner key agent ${sealer.id} registered)`;
}

/** Why a signed revocation cannot be stored for the grant as it stands; undefined when it can. */
export function signedRevocationProblem(
  signed: SignedRevocation,
  grant: SignedGrant | null,
  sealer: Pick<AgentRow, 'id' | 'ownerKey'> | undefined,
): string | undefined {
  if (!grant) return 'signed_revocation: the grant has no signed statement to revoke';
  if (signed.statement.grant !== grant.statement.id) {
    return `signed_revocation: revokes statement ${signed.statement.grant}, not the grant's ${grant.statement.id}`;
  }
  if (signed.statement.source !== grant.statement.source) {
    return 'signed_revocation: names another source';
  }
  if (!sealer?.ownerKey) return 'signed_revocation: the sealing agent registered no owner key';
  const problem = revocationSignatureProblem(signed, decodeRawKey(sealer.ownerKey));
  return problem && `signed_revocation: ${problem}`;
}

/** The window a signed grant carries, which is the one the grant row keeps. */
export const windowOfStatement = (signed: SignedGrant): GrantWindow => ({
  notBefore: signed.statement.not_before === null ? null : new Date(signed.statement.not_before),
  notAfter: signed.statement.not_after === null ? null : new Date(signed.statement.not_after),
});
