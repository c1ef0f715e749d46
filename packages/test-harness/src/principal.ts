import { createPrincipalSigner, generatePrincipalKeyPair } from '@media-vault/service-kit';

/**
 * The gateway's principal key of this test process: services a test starts trust its public
 * half, and a test that calls a service straight on NATS signs as the gateway would.
 */
export const testPrincipalKeys = generatePrincipalKeyPair();

/** Signs principals as the gateway does, for `sendCommand` in tests. */
export const testSigner = createPrincipalSigner(testPrincipalKeys.signingKey);

/** The variables of a service that verifies callers (tasks, assets). */
export const principalVerifyEnv = (): { PRINCIPAL_KEYS: string } => ({
  PRINCIPAL_KEYS: testPrincipalKeys.publicKey,
});

/** The variable of a gateway that signs callers. */
export const principalSigningEnv = (): { PRINCIPAL_SIGNING_KEY: string } => ({
  PRINCIPAL_SIGNING_KEY: testPrincipalKeys.signingKey,
});
