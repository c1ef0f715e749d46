import {
  agentConsumerName,
  type Agent,
  agentJobSubject,
  ComposeJob,
  composeConsumer,
  MasterJobSchemas,
  Streams,
  TaskStatus,
  type MasterJobKind,
  type MasterJobOf,
} from '@media-vault/contracts';
import type { IpfsPort } from '@media-vault/ipfs';
import type { FfmpegRunner } from '@media-vault/media-tools';
import { jetstreamManager } from '@nats-io/jetstream';
import { agentPublicKeys, encodeRawKey } from '@media-vault/sealed';
import { ignoreEnded, TaskApiError, TaskClient } from '@media-vault/task-client';
import {
  consumeJobs,
  type JobContext,
  type Logger,
  type NatsConnection,
  untilNatsReady,
} from '@media-vault/service-kit';
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentSettings } from './config.js';
import type { AgentContext } from './agent-context.js';
import { recordGiveUp } from './audit-trail.js';
import { composeHandler } from './compose.handler.js';
import { composedHandler } from './composed.handler.js';
import { finishDownload } from './download-files.js';
import { fetchHandler } from './fetch.handler.js';
import { loadOrCreateIdentity } from './identity-store.js';
import { KnownOwners, loadOrCreateOwnerKey } from './owner-keys.js';
import { releaseHandler } from './release.handler.js';
import { sealHandler } from './seal.handler.js';
import { Vault } from './vault.js';

type AgentHandlers = {
  readonly [K in MasterJobKind]: {
    handle(job: MasterJobOf<K>, ctx: JobContext): Promise<void>;
    /** The task hears 9 when a job is given up, so its user is not left waiting. */
    giveUp(job: MasterJobOf<K>, reason: string): Promise<void>;
  };
};

function handlers(agent: AgentContext, ipfs: IpfsPort, nc: NatsConnection): AgentHandlers {
  const { api } = agent;
  const failDownload = (downloadTaskId: number, reason: string) =>
    finishDownload(agent, downloadTaskId, { status: TaskStatus.error, reason });
  return {
    seal: {
      handle: sealHandler(agent, ipfs),
      giveUp: (job, reason) =>
        api
          .reportUpload(job.taskId, { status: TaskStatus.error, reason })
          .then(() => undefined, ignoreEnded),
    },
    release: {
      handle: releaseHandler(agent, ipfs),
      giveUp: (job, reason) =>
        api
          .reportPrivate(job.privateTaskId, { status: TaskStatus.error, reason })
          .then(() => undefined, ignoreEnded),
    },
    fetch: {
      handle: fetchHandler(agent, ipfs, nc),
      giveUp: (job, reason) => failDownload(job.downloadTaskId, reason),
    },
    composed: {
      handle: composedHandler(agent),
      giveUp: (job, reason) => failDownload(job.downloadTaskId, reason),
    },
  };
}

/** The platform creates the JOBS stream; an agent started first waits for it rather than fail. */
async function waitForJobsStream(nc: NatsConnection, log: Logger): Promise<void> {
  const jsm = await untilNatsReady('JetStream', () => jetstreamManager(nc), { log });
  for (let attempt = 1; ; attempt++) {
    try {
      await jsm.streams.info(Streams.jobs.name);
      return;
    } catch (err) {
      if (attempt >= 60) throw err;
      if (attempt === 1) log.warn('no JOBS stream yet; waiting for the platform to create it');
      await sleep(1_000);
    }
  }
}

/** The gateway may start after the agent (as under `npm run dev`): keep asking for a while. */
async function register(agent: Omit<AgentContext, 'userId'>, log: Logger): Promise<Agent> {
  const body = {
    id: agent.settings.id,
    name: agent.settings.name,
    peer_id: agent.peerId,
    ...agentPublicKeys(agent.secrets.identity),
    owner_key: encodeRawKey(agent.ownerKey),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await agent.api.registerAgent(body);
    } catch (err) {
      if ((err instanceof TaskApiError && err.permanent) || attempt >= 30) throw err;
      log.warn({ err: String(err), attempt }, 'agent registration failed; retrying');
      await sleep(Math.min(10_000, 500 * attempt));
    }
  }
}

/**
 * Runs the agent: loads (or creates) its keys, registers them with its IPFS peer id through the
 * agents API, and takes the jobs addressed to it, one consumer per job kind so a fetch waiting
 * for its key does not hold up a seal, and one for its compose step.
 */
export async function startAgent(opts: {
  settings: AgentSettings;
  media: FfmpegRunner;
  ipfs: IpfsPort;
  nc: NatsConnection;
  log: Logger;
}): Promise<{ readonly context: AgentContext; stop(): Promise<void> }> {
  const { settings, media, ipfs, nc, log } = opts;
  const secrets = await loadOrCreateIdentity(settings.dir, settings.id);
  const ownerKey = await loadOrCreateOwnerKey(settings.dir);
  const vault = new Vault(settings.vaultDir);
  await vault.assertSealedTo(secrets.identity);
  await mkdir(settings.ingestRoot, { recursive: true });
  await mkdir(settings.downloadDir, { recursive: true });
  const unregistered: Omit<AgentContext, 'userId'> = {
    settings,
    secrets,
    ownerKey,
    knownOwners: new KnownOwners(settings.dir),
    api: new TaskClient({ baseUrl: settings.gatewayUrl, token: settings.token }),
    vault,
    media,
    peerId: await ipfs.peerId(),
  };
  const registered = await register(unregistered, log);
  const context: AgentContext = { ...unregistered, userId: registered.user_id };
  log.info(
    { agent: settings.id, ingestRoot: settings.ingestRoot, downloadDir: settings.downloadDir },
    'agent registered; taking its jobs',
  );

  await waitForJobsStream(nc, log);
  const all = handlers(context, ipfs, nc);
  const consumers: { stop(): Promise<void> }[] = [];
  // A seal reads a whole master from disk: one at a time. The rest mostly wait on the network.
  const concurrency: Record<MasterJobKind, number> = {
    seal: 1,
    release: 4,
    fetch: settings.fetchConcurrency,
    composed: 4,
  };
  for (const kind of Object.keys(MasterJobSchemas) as MasterJobKind[]) {
    const { handle, giveUp } = all[kind] as AgentHandlers['seal'];
    // The task hears 9 first, so its user is not kept waiting on the audit log.
    const onGiveUp = async (job: MasterJobOf<'seal'>, reason: string) => {
      await giveUp(job, reason);
      await recordGiveUp(context, log, kind, job as MasterJobOf<typeof kind>, reason);
    };
    consumers.push(
      await consumeJobs(nc, {
        durable: agentConsumerName(settings.id, kind),
        subject: agentJobSubject(settings.id, kind),
        schema: MasterJobSchemas[kind] as (typeof MasterJobSchemas)['seal'],
        handle,
        onGiveUp,
        log,
        ackWaitMs: settings.ackWaitMs,
        concurrency: concurrency[kind],
        // A fetch whose blocks no node serves yet is tried again later, this many times in all.
        ...(kind === 'fetch' ? { maxDeliver: settings.fetchAttempts } : {}),
      }),
    );
  }
  // Its own compose step: the decrypted master is on this machine, so it is verified here.
  const compose = composeHandler({
    nc,
    ffmpeg: media,
    agent: settings.id,
    downloadDir: settings.downloadDir,
  });
  consumers.push(
    await consumeJobs(nc, {
      durable: composeConsumer(settings.id).name,
      subject: composeConsumer(settings.id).subject,
      schema: ComposeJob,
      handle: compose.handle,
      onGiveUp: compose.onGiveUp,
      log,
      ackWaitMs: settings.ackWaitMs,
    }),
  );
  return {
    context,
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}
