import type { FetchJob, Grant, ReleaseJob, SignedGrant } from '@media-vault/contracts';
import {
  decodeRawKey,
  fingerprintHex,
  grantSignatureProblem,
  grantWindowProblem,
  type AgentIdentity,
} from '@media-vault/sealed';

/*
 * What an agent checks before it acts on a job about a master's key. Jobs and the platform's
 * records are only claims: what counts is the statement the owner signed, verified with a key
 * the agent holds itself, and the agent's own keys.
 */

export type Decision<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): Decision<never> => ({ ok: false, reason });

/** The window an envelope carries: the signed statement's, open sides left out. */
export interface ReleaseWindow {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

type Self = Pick<AgentIdentity, 'id' | 'publicKey' | 'signingPublicKey'>;

const fingerprintOf = (key: string): string | undefined => {
  try {
    return fingerprintHex(decodeRawKey(key));
  } catch {
    return undefined;
  }
};

/** The statement's claims against what this agent sees; the first that does not hold. */
function mismatch(checks: readonly (readonly [boolean, string])[]): string | undefined {
  return checks.find(([ok]) => !ok)?.[1];
}

/**
 * The sealing agent's rule: release only to the recipient an owner-signed grant names, with the
 * very keys it names, for this vault copy, inside the window, and not revoked. `grant` is the
 * platform's record read immediately before sealing. Releasing to itself (an owner downloading
 * with the agent that sealed) needs no grant: the key never leaves the agent.
 */
export function releaseDecision(input: {
  readonly job: ReleaseJob;
  readonly grant: Grant | undefined;
  readonly self: Self;
  readonly ownerKey: Uint8Array;
  readonly now: Date;
}): Decision<ReleaseWindow> {
  const { job, grant, self, ownerKey, now } = input;
  const recipient = job.recipient;
  if (recipient.agent === self.id && recipient.userId === job.ownerId) {
    return { ok: true, value: {} };
  }
  if (!grant) return refuse(`user ${recipient.userId} holds no grant for source ${job.sourceId}`);
  if (grant.status === 'revoked' || grant.signed_revocation) {
    return refuse(`the grant of user ${recipient.userId} was revoked`);
  }
  const signed = grant.signed_grant;
  if (!signed) {
    return refuse(
      `the grant of user ${recipient.userId} is not signed by the owner, so no key is released`,
    );
  }
  const problem = grantSignatureProblem(signed, ownerKey);
  if (problem) return refuse(`the grant does not verify: ${problem}`);
  const s = signed.statement;
  const claim = mismatch([
    [s.source === job.uuid, 'the signed grant is for another source'],
    [s.public_block === job.publicBlockCid, 'the signed grant is for another public block'],
    [s.sealer === self.id, `the signed grant names sealer ${s.sealer}, not this agent`],
    [
      s.sealer_signing_key === fingerprintHex(self.signingPublicKey),
      'the signed grant names another signing key for this agent',
    ],
    [s.recipient === recipient.userId, `the signed grant is for user ${s.recipient}`],
    [s.recipient_agent === recipient.agent, `the signed grant names agent ${s.recipient_agent}`],
    [
      s.recipient_public_key === fingerprintOf(recipient.publicKey),
      `the recipient key is not the one the signed grant names for ${s.recipient_agent}`,
    ],
    [
      s.recipient_signing_key === fingerprintOf(recipient.signingKey),
      `the recipient signing key is not the one the signed grant names for ${s.recipient_agent}`,
    ],
  ]);
  if (claim) return refuse(claim);
  const outside = grantWindowProblem(s, now);
  if (outside) return refuse(outside);
  return {
    ok: true,
    value: {
      ...(s.not_before ? { notBefore: new Date(s.not_before) } : {}),
      ...(s.not_after ? { notAfter: new Date(s.not_after) } : {}),
    },
  };
}

/**
 * The fetching agent's rule: the envelope must be signed by the sealer key that the owner's
 * grant names, so the key in the job is used only once its fingerprint matches the statement.
 * Without a grant (an owner's own download) only its own signature is accepted: the sealer must
 * be this agent. `ownerKey` is the key this agent pinned for the sealer.
 */
export function envelopeSignerDecision(input: {
  readonly job: Pick<FetchJob, 'uuid' | 'publicBlock' | 'sealer' | 'grant'>;
  readonly self: Self;
  readonly ownerKey: Uint8Array | undefined;
}): Decision<{ readonly agent: string; readonly signingPublicKey: Uint8Array }> {
  const { job, self, ownerKey } = input;
  const sealer = job.sealer;
  if (!sealer) return refuse('the source was not sealed by an agent: no key can be released');
  if (!job.grant) {
    if (sealer.agent !== self.id) {
      return refuse(`no grant signed by the owner names this agent for ${sealer.agent}'s key`);
    }
    return { ok: true, value: { agent: self.id, signingPublicKey: self.signingPublicKey } };
  }
  if (!ownerKey) return refuse(`agent ${sealer.agent} registered no owner key`);
  const grant: SignedGrant = job.grant;
  const problem = grantSignatureProblem(grant, ownerKey);
  if (problem) return refuse(`the grant does not verify: ${problem}`);
  const s = grant.statement;
  const claim = mismatch([
    [
      s.recipient_agent === self.id,
      `the signed grant names agent ${s.recipient_agent}, not this one`,
    ],
    [
      s.recipient_public_key === fingerprintHex(self.publicKey),
      'the signed grant names another key of this agent',
    ],
    [
      s.recipient_signing_key === fingerprintHex(self.signingPublicKey),
      'the signed grant names another signing key of this agent',
    ],
    [s.source === job.uuid, 'the signed grant is for another source'],
    [s.public_block === job.publicBlock.hash, 'the signed grant is for another public block'],
    [s.sealer === sealer.agent, `the signed grant names sealer ${s.sealer}, not ${sealer.agent}`],
    [
      s.sealer_signing_key === fingerprintOf(sealer.signingKey),
      `the sealer key in the job is not the one the signed grant names for ${s.sealer}`,
    ],
  ]);
  if (claim) return refuse(claim);
  return {
    ok: true,
    value: { agent: sealer.agent, signingPublicKey: decodeRawKey(sealer.signingKey) },
  };
}
