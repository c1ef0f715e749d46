/**
 * Settings `npm run dev` and `npm run token` share so that a token printed by one is accepted by
 * the other with no set-up. Development only: production sets JWT_PUBLIC_KEY or JWKS_URL.
 */
export const DEV_JWT_SECRET = 'media-vault-development-secret-do-not-use-in-production';
/** The gateway refuses tokens that live longer (JWT_MAX_LIFETIME_SECONDS, 24 h by default). */
export const DEV_MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60;

// A second platform on the same machine (CI's API fuzzing next to a developer's `npm run dev`)
// moves its ports with DEV_NATS_PORT, DEV_KUBO_PORT and DEV_HEALTH_PORT (the first of four).
const port = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a port number (1-65535), got "${process.env[name]}"`);
  }
  return value;
};
const health = port('DEV_HEALTH_PORT', 9101);

export const DEV_PORTS = {
  gateway: 8080,
  nats: port('DEV_NATS_PORT', 4222),
  kubo: port('DEV_KUBO_PORT', 5001),
  /** The platform's Kubo swarm (loopback only): every agent's own node connects to it here. */
  kuboSwarm: port('DEV_KUBO_SWARM_PORT', 4101),
  health: {
    tasks: health,
    assets: health + 1,
    'ipfs-worker': health + 2,
    'media-worker': health + 3,
  },
} as const;
