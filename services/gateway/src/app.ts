import { HttpBindings, Services } from '@media-vault/contracts';
import {
  silentServices,
  type Metrics,
  type NatsConnection,
  type PrincipalSigner,
  type ReadinessCheck,
} from '@media-vault/service-kit';
import type { IpfsReader } from '@media-vault/ipfs';
import type { StagingBuckets } from '@media-vault/object-store';
import type { FastifyInstance } from 'fastify';
import { authPlugin } from './plugins/auth.js';
import { bodyParsersPlugin } from './plugins/body-parsers.js';
import { busPlugin } from './plugins/bus.js';
import {
  consoleSessionPlugin,
  consoleSessionRoutes,
  SignedOutSessions,
} from './plugins/console-session.js';
import { consoleStaticPlugin } from './plugins/console-static.js';
import { docsPlugin } from './plugins/docs.js';
import { errorsPlugin } from './plugins/errors.js';
import { eventsSsePlugin } from './plugins/events-sse.js';
import { relayPlugin } from './plugins/relay.js';
import { audioAssetRoutes } from './routes/audio-assets.js';
import { healthRoutes } from './routes/health.js';
import { userRoutes } from './routes/users.js';
import type { TokenVerifier } from './token-verifier.js';

export interface AppOptions {
  readonly nc: NatsConnection;
  readonly signer: PrincipalSigner;
  readonly verify: TokenVerifier;
  readonly metrics: Metrics;
  readonly bodyLimit: number;
  readonly commandTimeoutMs: number;
  /** Where downloads are read from: Kubo, or the blockstore of this machine's embedded node. */
  readonly ipfs: IpfsReader;
  /** Where chunk uploads are staged until their merge. */
  readonly staging: StagingBuckets;
  readonly chunkBodyLimit: number;
  /** The built console; by default the workspace's packages/console/dist. */
  readonly consoleDir?: string | undefined;
  /** Secure `__Host-` session cookies whatever the scheme (production, behind a TLS proxy). */
  readonly secureCookies?: boolean;
  /** Where the console sends people for a token (CONSOLE_SIGN_IN_URL). */
  readonly consoleSignInUrl?: string | undefined;
  /** True once the gateway is shutting down: /readyz then sends balancers elsewhere. */
  readonly draining?: () => boolean;
}

/** Every service the relay sends commands to. */
const ROUTED_SERVICES = Object.values(Services);

/** The gateway as a fastify plugin: server.ts runs it, tests `inject` into it. */
export async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  const checks: ReadinessCheck[] = [
    [
      'shutdown',
      () => {
        if (opts.draining?.()) throw new Error('shutting down: send requests to another replica');
      },
    ],
    [
      'nats',
      () => {
        if (opts.nc.isClosed()) throw new Error('connection closed');
      },
    ],
    [
      // Ready only when the services the relay routes to serve their commands.
      'services',
      async () => {
        const silent = await silentServices(opts.nc, ROUTED_SERVICES);
        if (silent.length > 0) throw new Error(`no ${silent.join(', ')} service answers yet`);
      },
    ],
  ];
  await fastify.register(errorsPlugin);
  await fastify.register(bodyParsersPlugin, { bodyLimit: opts.bodyLimit });
  const session = {
    secureCookies: opts.secureCookies ?? false,
    signedOut: new SignedOutSessions(),
  };
  await fastify.register(consoleSessionPlugin, session);
  await fastify.register(authPlugin, { verify: opts.verify });
  await fastify.register(busPlugin, {
    nc: opts.nc,
    signer: opts.signer,
    timeoutMs: opts.commandTimeoutMs,
  });
  await fastify.register(docsPlugin);
  await fastify.register(healthRoutes, { checks, metrics: opts.metrics });
  await fastify.register(userRoutes);
  await fastify.register(relayPlugin, { bindings: HttpBindings });
  await fastify.register(consoleSessionRoutes, { ...session, verify: opts.verify });
  await fastify.register(eventsSsePlugin, { nc: opts.nc });
  await fastify.register(consoleStaticPlugin, {
    dir: opts.consoleDir,
    signInUrl: opts.consoleSignInUrl,
  });
  await fastify.register(audioAssetRoutes, {
    staging: opts.staging,
    ipfs: opts.ipfs,
    chunkBodyLimit: opts.chunkBodyLimit,
  });
}
