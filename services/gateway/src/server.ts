import { AssetBuckets, natsPermissions } from '@media-vault/contracts';
import { createIpfsReader, embeddedIpfsDirectory } from '@media-vault/ipfs';
import { stagingFromSettings } from '@media-vault/object-store';
import { jetstream } from '@nats-io/jetstream';
import { createPrincipalSigner, createRuntime, type Lifecycle } from '@media-vault/service-kit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { app } from './app.js';
import type { GatewayConfig } from './config.js';
import { createTokenVerifier } from './token-verifier.js';

export interface GatewayServer {
  readonly fastify: FastifyInstance;
  readonly url: string;
  readonly lifecycle: Lifecycle;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Builds the fastify instance with server-level settings: ids, timeouts, limits, trailing slashes. */
export async function buildGateway(config: GatewayConfig): Promise<GatewayServer> {
  const runtime = await createRuntime({
    service: 'gateway',
    natsUrl: config.NATS_URL,
    natsCreds: config.NATS_CREDS,
    natsCaFile: config.NATS_CA_FILE,
    natsInboxPrefix: natsPermissions({ kind: 'gateway' }).inboxPrefix,
    logLevel: config.LOG_LEVEL,
    // Commands are plain requests; the gateway neither publishes events nor takes jobs.
    streams: [],
  });
  const verify = await createTokenVerifier({
    secret: config.JWT_SECRET,
    publicKeyPem: config.JWT_PUBLIC_KEY,
    publicKeyAlgorithm: config.JWT_PUBLIC_KEY_ALGORITHM,
    jwksUrl: config.JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
  });
  // Without Kubo, downloads read the blockstore of the ipfs-worker's embedded node on this machine.
  const ipfs = await createIpfsReader({
    apiUrl: config.IPFS_API_URL,
    directory: embeddedIpfsDirectory(config.DATA_DIR),
  });
  runtime.lifecycle.onClose('ipfs', () => ipfs.close());
  const staging = stagingFromSettings(
    config,
    () => jetstream(runtime.nc),
    Object.values(AssetBuckets),
  );
  const fastify = Fastify({
    loggerInstance: runtime.log as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false } }, // refuse unknown fields, as the bus does
    // Seed 000 routes are written with a trailing slash, some clients drop it; both must work.
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: false, // genReqId reads x-request-id itself, so unsafe ids are replaced
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    connectionTimeout: 60_000,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
  });
  // Node enforces requestTimeout only when it is not shorter than headersTimeout (60 s by default),
  // and fastify sets only the former: keep the pair in order so a trickling sender is cut off.
  fastify.server.headersTimeout = Math.min(
    fastify.server.headersTimeout,
    config.REQUEST_TIMEOUT_MS,
  );
  let draining = false;
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // A keep-alive client sends its next request on a new connection, to a replica that stays.
    if (draining) reply.header('connection', 'close');
  });
  await fastify.register(app, {
    nc: runtime.nc,
    signer: createPrincipalSigner(config.PRINCIPAL_SIGNING_KEY),
    verify,
    metrics: runtime.metrics,
    bodyLimit: config.BODY_LIMIT,
    commandTimeoutMs: config.COMMAND_TIMEOUT_MS,
    ipfs,
    staging,
    chunkBodyLimit: config.ASSET_CHUNK_BODY_LIMIT,
    secureCookies: config.NODE_ENV === 'production',
    consoleSignInUrl: config.CONSOLE_SIGN_IN_URL,
    draining: () => draining,
  });
  // Registered after NATS, so it closes first: stop taking requests, then drain the bus.
  // Closing the listener at once would reset requests that keep-alive clients are sending on
  // connections they hold: first a drain, in which the gateway still serves, says it is not
  // ready and closes each connection after its reply; then the close, which refuses new
  // connections (a balancer retries those elsewhere) and waits for requests in flight.
  runtime.lifecycle.onClose('http server', async () => {
    draining = true;
    if (config.SHUTDOWN_DRAIN_MS > 0) {
      runtime.log.info({ ms: config.SHUTDOWN_DRAIN_MS }, 'draining HTTP before closing');
      await new Promise((done) => setTimeout(done, config.SHUTDOWN_DRAIN_MS));
    }
    await fastify.close();
  });
  const url = await fastify.listen({ port: config.PORT, host: config.HOST });
  return { fastify, url, lifecycle: runtime.lifecycle, close: () => runtime.lifecycle.close() };
}
