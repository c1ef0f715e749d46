/**
 * The environment the CLI reads, in one place: every other module gets these values as options,
 * so tests can run a command with any settings without touching process.env.
 */
export interface EnvDefaults {
  readonly api: string;
  readonly token: string | undefined;
  readonly nats: string;
  readonly natsCreds: string | undefined;
  /** For `vault agent backup` and `restore`, when no --passphrase-file is given. */
  readonly passphrase: string | undefined;
  /** The owner key file grants and revocations are signed with. */
  readonly ownerKeyFile: string | undefined;
}

export const DEFAULT_API = 'http://localhost:8080';
export const DEFAULT_NATS = 'nats://127.0.0.1:4222';

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

export function envDefaults(env: Record<string, string | undefined> = process.env): EnvDefaults {
  return {
    api: nonEmpty(env.VAULT_API) ?? DEFAULT_API,
    token: nonEmpty(env.VAULT_TOKEN),
    nats: nonEmpty(env.NATS_URL) ?? DEFAULT_NATS,
    natsCreds: nonEmpty(env.NATS_CREDS),
    passphrase: env.VAULT_PASSPHRASE === '' ? undefined : env.VAULT_PASSPHRASE,
    ownerKeyFile: nonEmpty(env.VAULT_OWNER_KEY),
  };
}
