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

/** The verified caller, forwarded by the gateway to services in the principal header. */
export const Principal = Type.Object(
  {
    id: UserId,
    name: Type.String({ maxLength: 200 }),
    roles: Type.Array(Type.Integer()),
  },
  { additionalProperties: false },
);
export type Principal = Static<typeof Principal>;

/** NATS header carrying the JSON principal from the gateway to the owning service. */
export const PrincipalHeader = 'Vault-Principal';
/** NATS header carrying the HTTP request id, so one request can be followed across services. */
export const RequestIdHeader = 'Vault-Request-Id';

export const hasRole = (principal: Principal, ...roles: Role[]): boolean =>
  principal.roles.some((r) => roles.includes(r as Role));

export const isRoot = (principal: Principal): boolean => hasRole(principal, Roles.root);
