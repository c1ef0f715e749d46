import { Type, type Static } from '@sinclair/typebox';

/** Role numbers from seed 002. A token without roles is a plain signed-in user. */
export const Roles = {
  root: 1,
  assets: 100,
  reviewerAssets: 120,
} as const;

export type Role = (typeof Roles)[keyof typeof Roles];

export const UserId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_.@-]+$',
  description: 'The user id, from the token `sub` claim.',
});

/** The verified caller: who the gateway authenticated, as the owning service verifies it. */
export const Principal = Type.Object(
  {
    id: UserId,
    name: Type.String({ maxLength: 200 }),
    roles: Type.Array(Type.Integer()),
  },
  { additionalProperties: false },
);
export type Principal = Static<typeof Principal>;

/**
 * NATS header carrying the caller from the gateway to the owning service: a compact JWS (EdDSA)
 * signed by the gateway, whose claims are `sub`, `name`, `roles` (the principal), `aud` (the
 * command subject), `rid` (the request id), `bdy` (base64url sha256 of the request bytes), `jti`,
 * `iat` and an `exp` seconds away. A service acts only on one it has verified; a header that merely
 * claims an identity is refused as `unauthenticated`.
 */
export const PrincipalHeader = 'Vault-Principal';
/** The `iss` of every principal token. */
export const PrincipalTokenIssuer = 'media-vault-gateway';

export const hasRole = (principal: Principal, ...roles: Role[]): boolean =>
  principal.roles.some((r) => roles.includes(r as Role));

export const isRoot = (principal: Principal): boolean => hasRole(principal, Roles.root);
