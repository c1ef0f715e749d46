/**
 * Settings `npm run dev` and `npm run token` share so that a token printed by one is accepted by
 * the other with no set-up. Development only: production sets JWT_PUBLIC_KEY or JWKS_URL.
 */
export const DEV_JWT_SECRET = 'media-vault-development-secret-do-not-use-in-production';
export const DEV_PORTS = {
  gateway: 8080,
  nats: 4222,
  kubo: 5001,
  health: { tasks: 9101, assets: 9102, 'ipfs-worker': 9103, 'media-worker': 9104 },
} as const;
