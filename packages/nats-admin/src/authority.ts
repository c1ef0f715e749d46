/**
 * The platform's NATS trust chain, decentralised (JWT + nkeys): an operator signs the accounts,
 * the VAULT account signs one user per process. The server knows only the operator and the
 * accounts, so issuing a user (a new agent) is writing a creds file, not restarting the server;
 * revoking one is a new account JWT pushed to the running servers.
 */
import {
  createAccount,
  createOperator,
  createUser,
  decode,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromPublic,
  fromSeed,
  type Account,
  type KeyPair,
} from '@nats-io/jwt';
import {
  natsPermissions,
  natsUserName,
  type BucketNames,
  type NatsIdentity,
} from '@media-vault/contracts';
import { connect, credsAuthenticator } from '@nats-io/transport-node';

/** The secret half of the chain: who holds this can issue any user. Keep it with the operator. */
export interface AuthoritySeeds {
  readonly operator: string;
  readonly system: string;
  readonly account: string;
  /** Users revoked so far: public key → unix seconds (users issued before it are refused). */
  readonly revocations: Readonly<Record<string, number>>;
}

export interface NatsAuthority {
  readonly seeds: AuthoritySeeds;
  readonly operatorJwt: string;
  readonly systemAccount: { readonly publicKey: string; readonly jwt: string };
  readonly account: { readonly publicKey: string; readonly jwt: string };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const seedOf = (kp: KeyPair) => text(kp.getSeed());
const keyFrom = (seed: string) => fromSeed(new TextEncoder().encode(seed));

/** The platform's account name, as servers and tools show it. */
export const VAULT_ACCOUNT = 'VAULT';

// An account JWT's limits default to zero once any is given, and JetStream must be enabled per
// account in operator mode: -1 is unlimited (the server's own limits and the streams' still apply).
const accountLimits: Account['limits'] = {
  subs: -1,
  conn: -1,
  leaf: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
};

/** A new chain, or the JWTs of an existing one from its seeds. */
export async function createAuthority(seeds?: AuthoritySeeds): Promise<NatsAuthority> {
  const operator = seeds ? keyFrom(seeds.operator) : createOperator();
  const system = seeds ? keyFrom(seeds.system) : createAccount();
  const account = seeds ? keyFrom(seeds.account) : createAccount();
  const revocations = seeds?.revocations ?? {};
  const systemPublic = system.getPublicKey();
  const operatorJwt = await encodeOperator('media-vault', operator, {
    system_account: systemPublic,
  });
  const systemJwt = await encodeAccount(
    'SYS',
    system,
    { limits: { subs: -1, conn: -1, leaf: -1, data: -1, payload: -1, imports: -1, exports: -1 } },
    { signer: operator },
  );
  const accountJwt = await encodeAccount(
    VAULT_ACCOUNT,
    account,
    { limits: accountLimits, revocations: { ...revocations } },
    { signer: operator },
  );
  return {
    seeds: {
      operator: seedOf(operator),
      system: seedOf(system),
      account: seedOf(account),
      revocations,
    },
    operatorJwt,
    systemAccount: { publicKey: systemPublic, jwt: systemJwt },
    account: { publicKey: account.getPublicKey(), jwt: accountJwt },
  };
}

/**
 * nats-server configuration for the chain: the trusted operator, and the accounts preloaded into
 * a full resolver that keeps them in `resolverDir`. A changed account (a revocation) is pushed to
 * running servers with `pushAccount`: no restart, no new configuration.
 */
export function serverAuthConfig(authority: NatsAuthority, resolverDir: string): string {
  return [
    `operator: ${authority.operatorJwt}`,
    `system_account: ${authority.systemAccount.publicKey}`,
    `resolver: { type: full, dir: ${JSON.stringify(resolverDir)}, allow_delete: false }`,
    'resolver_preload: {',
    `  ${authority.systemAccount.publicKey}: ${authority.systemAccount.jwt}`,
    `  ${authority.account.publicKey}: ${authority.account.jwt}`,
    '}',
    '',
  ].join('\n');
}

export interface IssueOptions {
  /** Staging bucket names, when a deployment or test renames them. */
  readonly buckets?: BucketNames;
  /** Seconds until the credentials expire; unset: until revoked. */
  readonly expiresInSeconds?: number;
}

export interface IssuedUser {
  readonly name: string;
  readonly publicKey: string;
  /** The contents of a `.creds` file: the user JWT and its nkey seed. */
  readonly creds: Uint8Array;
}

/** Issues the credentials of one process, with exactly the permissions its identity has. */
export async function issueUser(
  authority: NatsAuthority,
  identity: NatsIdentity,
  opts: IssueOptions = {},
): Promise<IssuedUser> {
  const user = createUser();
  const permissions = natsPermissions(identity, opts.buckets);
  const name = natsUserName(identity);
  const admin = identity.kind === 'admin';
  const jwt = await encodeUser(
    name,
    user,
    keyFrom(authority.seeds.account),
    {
      // The admin's permissions are the account's whole space: no list to write.
      ...(admin
        ? {}
        : {
            pub: { allow: [...permissions.publish.allow] },
            sub: { allow: [...permissions.subscribe.allow] },
          }),
      ...(permissions.allowResponses ? { resp: { max: 1, ttl: 0 } } : {}),
    },
    opts.expiresInSeconds === undefined
      ? {}
      : { exp: Math.floor(Date.now() / 1000) + opts.expiresInSeconds },
  );
  return { name, publicKey: user.getPublicKey(), creds: fmtCreds(jwt, user) };
}

/**
 * The chain with one more user revoked: connections with that user's credentials are refused
 * once the servers have the new account JWT.
 */
export function revokeUser(
  authority: NatsAuthority,
  userPublicKey: string,
): Promise<NatsAuthority> {
  fromPublic(userPublicKey); // throws on something that is not a public nkey
  return createAuthority({
    ...authority.seeds,
    revocations: { ...authority.seeds.revocations, [userPublicKey]: Math.floor(Date.now() / 1000) },
  });
}

/** The user public key inside a creds file. */
export function userOfCreds(creds: Uint8Array): string {
  const jwt = /-----BEGIN NATS USER JWT-----\s*([^\s-][^\s]*)\s*------END NATS USER JWT------/.exec(
    text(creds),
  )?.[1];
  if (!jwt) throw new Error('not a NATS creds file');
  return decode(jwt).sub;
}

/**
 * Sends the VAULT account's current JWT to the servers at `servers` as the system account, which
 * is how a running cluster learns of a revocation. Resolves once a server has stored it.
 */
export async function pushAccount(authority: NatsAuthority, servers: string): Promise<void> {
  const system = keyFrom(authority.seeds.system);
  const user = createUser();
  const jwt = await encodeUser('system-push', user, system);
  const nc = await connect({
    servers: servers.split(','),
    authenticator: credsAuthenticator(fmtCreds(jwt, user)),
  });
  try {
    const reply = await nc.request('$SYS.REQ.CLAIMS.UPDATE', authority.account.jwt, {
      timeout: 5_000,
    });
    const answer = reply.json<{ error?: { description?: string } }>();
    if (answer.error)
      throw new Error(`the server refused the account: ${answer.error.description}`);
  } finally {
    await nc.close();
  }
}
