/**
 * Who may do what on NATS (SPEC §11): every process connects as its own user, and the permissions
 * of each are generated here from the subjects, streams, consumers and buckets this package
 * declares. Anything not listed is refused by the server. JetStream API subjects carry stream and
 * consumer names, so those names are part of the contract.
 */
import { AssetJobSubjects } from './audio-asset-jobs.js';
import { AssetBuckets } from './audio-assets.js';
import { AgentCommandSubjects } from './agents.js';
import { AuditCommandSubjects } from './audit.js';
import { AudioAssetCommandSubjects } from './audio-assets.js';
import { agentJobSubject, JobSubjects } from './jobs.js';
import { MasterJobSchemas, type MasterJobKind } from './master-jobs.js';
import { MasterTaskCommandSubjects } from './master-tasks.js';
import { Streams } from './streams.js';
import { commandGroup, Services } from './subjects.js';

/** The durable consumer of one job kind of one agent; replicas of the same agent share it. */
export const agentConsumerName = (agent: string, kind: MasterJobKind): string =>
  `agent-${agent}-${kind}`;

/** Every durable consumer of the platform's own workers on JOBS, with the subject it takes. */
export const JobConsumers = {
  assetsMerged: { name: 'assets-merged', subject: AssetJobSubjects.merged },
  assetsCleanup: { name: 'assets-cleanup', subject: AssetJobSubjects.cleanup },
  ipfsAdd: { name: 'ipfs-add', subject: AssetJobSubjects.ipfsAdd },
  ipfsUnpin: { name: 'ipfs-unpin', subject: AssetJobSubjects.unpin },
  ipfsPin: { name: 'ipfs-pin', subject: JobSubjects.pin },
  mediaMerge: { name: 'media-merge', subject: AssetJobSubjects.merge },
} as const;

/**
 * The agent's own compose step: it verifies the masters it decrypted, on the machine that holds
 * them, so no platform worker needs a disk shared with an agent.
 */
export const composeConsumer = (agent: string): { name: string; subject: string } => ({
  name: `agent-${agent}-compose`,
  subject: JobSubjects.compose(agent),
});

/** The processes that connect to NATS, each as its own user. */
export type NatsIdentity =
  /** Stream management and the operator's tools: everything in the account. */
  | { readonly kind: 'admin' }
  /** Reads status events (`nats sub 'events.>'`, the EVENTS stream), nothing else. */
  | { readonly kind: 'observer' }
  | { readonly kind: 'gateway' }
  | { readonly kind: 'tasks' }
  | { readonly kind: 'assets' }
  | { readonly kind: 'ipfs-worker' }
  | { readonly kind: 'media-worker' }
  | { readonly kind: 'agent'; readonly agent: string };

export type NatsIdentityKind = NatsIdentity['kind'];

export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
  /**
   * May answer requests it received (one reply each, on the requester's reply subject): how a
   * service replies without being allowed to publish on anybody's inbox.
   */
  readonly allowResponses: boolean;
  /**
   * The prefix of this user's reply subjects. Each user has its own and may subscribe only
   * there, so no one can read the replies meant for another.
   */
  readonly inboxPrefix: string;
}

/** Bucket names, when a deployment (or a test) names its staging buckets otherwise. */
export interface BucketNames {
  readonly chunks: string;
  readonly files: string;
}

const jsApi = '$JS.API';
const jobs = Streams.jobs.name;
const events = Streams.events.name;

const streamInfo = (stream: string) => [`${jsApi}.INFO`, `${jsApi}.STREAM.INFO.${stream}`];

/** A durable pull consumer the user creates with its filter, pulls from and acknowledges. */
const durableConsumer = (stream: string, name: string, filter: string): string[] => [
  `${jsApi}.CONSUMER.INFO.${stream}.${name}`,
  // Only the form that carries the filter: a consumer of this name cannot be pointed elsewhere.
  `${jsApi}.CONSUMER.CREATE.${stream}.${name}.${filter}`,
  `${jsApi}.CONSUMER.MSG.NEXT.${stream}.${name}`,
  `$JS.ACK.${stream}.${name}.>`,
];

const objectStream = (bucket: string) => `OBJ_${bucket}`;

/** Reading a stream: look-ups and the short-lived ordered consumers a read makes. */
const streamRead = (stream: string): string[] => [
  ...streamInfo(stream),
  `${jsApi}.STREAM.MSG.GET.${stream}`,
  `${jsApi}.DIRECT.GET.${stream}`,
  `${jsApi}.DIRECT.GET.${stream}.>`,
  // Ordered consumers: with several filters the request names no consumer and no filter.
  `${jsApi}.CONSUMER.CREATE.${stream}`,
  `${jsApi}.CONSUMER.CREATE.${stream}.>`,
  `${jsApi}.CONSUMER.INFO.${stream}.>`,
  `${jsApi}.CONSUMER.DELETE.${stream}.>`,
  `${jsApi}.CONSUMER.MSG.NEXT.${stream}.>`,
];

/**
 * Following a stream with ordered consumers only (the browser event relay): consumers without a
 * durable name, no message look-ups by sequence.
 */
const streamFollow = (stream: string): string[] => [
  ...streamInfo(stream),
  `${jsApi}.CONSUMER.CREATE.${stream}`,
  `${jsApi}.CONSUMER.CREATE.${stream}.>`,
  `${jsApi}.CONSUMER.INFO.${stream}.>`,
  `${jsApi}.CONSUMER.DELETE.${stream}.>`,
  `${jsApi}.CONSUMER.MSG.NEXT.${stream}.>`,
];

const bucketRead = (bucket: string): string[] => streamRead(objectStream(bucket));

/** Writing and deleting objects (a delete purges the object's chunks). */
const bucketWrite = (bucket: string): string[] => [
  `$O.${bucket}.C.>`,
  `$O.${bucket}.M.>`,
  `${jsApi}.STREAM.PURGE.${objectStream(bucket)}`,
];

/** Creating the bucket (or bringing its settings up to date) at start. */
const bucketCreate = (bucket: string): string[] => [
  `${jsApi}.STREAM.CREATE.${objectStream(bucket)}`,
  `${jsApi}.STREAM.UPDATE.${objectStream(bucket)}`,
];

/** Serving a command group through the NATS services framework, with discovery. */
const serving = (service: string) => ({
  subscribe: [
    `${commandGroup(service as never)}.>`,
    '$SRV.*',
    `$SRV.*.${service}`,
    `$SRV.*.${service}.>`,
  ],
});

/** An agent-addressed job subject with the agent token as a wildcard. */
const everyAgent = (subject: (agent: string) => string): string =>
  subject('AGENT').replace('.AGENT.', '.*.');

const inboxOf = (name: string) => `_INBOX_${name}`;

interface Grant {
  publish: string[];
  subscribe: string[];
  allowResponses?: boolean;
  inbox: string;
}

const commandSubjects = (group: Record<string, string>): string[] => Object.values(group);

function grantFor(identity: NatsIdentity, buckets: BucketNames): Grant {
  switch (identity.kind) {
    case 'admin':
      return { publish: ['>'], subscribe: ['>'], inbox: '_INBOX' };
    case 'observer':
      return {
        publish: streamRead(events),
        subscribe: [Streams.events.subjects[0]],
        inbox: inboxOf('observer'),
      };
    case 'gateway':
      return {
        // Each command by name: a new command is reachable only once the contract declares it.
        publish: [
          ...commandSubjects(AgentCommandSubjects),
          ...commandSubjects(MasterTaskCommandSubjects),
          ...commandSubjects(AuditCommandSubjects),
          ...commandSubjects(AudioAssetCommandSubjects),
          ...bucketRead(buckets.chunks),
          ...bucketWrite(buckets.chunks),
          // GET /api/v1/events/: one ordered consumer per browser connection (SPEC §12).
          ...streamFollow(events),
          // /readyz: whether the services it routes to are serving (services framework PING).
          ...Object.values(Services).map((service) => `$SRV.PING.${service}`),
        ],
        subscribe: [],
        inbox: inboxOf('gateway'),
      };
    case 'tasks':
      return {
        publish: [
          ...streamInfo(events),
          ...streamInfo(jobs),
          'events.tasks.>',
          everyAgent(JobSubjects.seal),
          everyAgent(JobSubjects.fetch),
          everyAgent(JobSubjects.release),
          JobSubjects.pin,
          // A deleted source's blocks leave the platform's node.
          AssetJobSubjects.unpin,
        ],
        subscribe: serving(Services.tasks).subscribe,
        allowResponses: true,
        inbox: inboxOf('tasks'),
      };
    case 'assets':
      return {
        publish: [
          ...streamInfo(events),
          ...streamInfo(jobs),
          'events.assets.>',
          AssetJobSubjects.merge,
          AssetJobSubjects.cleanup,
          AssetJobSubjects.unpin,
          ...durableConsumer(
            jobs,
            JobConsumers.assetsMerged.name,
            JobConsumers.assetsMerged.subject,
          ),
          ...durableConsumer(
            jobs,
            JobConsumers.assetsCleanup.name,
            JobConsumers.assetsCleanup.subject,
          ),
          ...bucketCreate(buckets.chunks),
          ...bucketRead(buckets.chunks),
          ...bucketWrite(buckets.chunks),
          // It creates the transit bucket too, so it exists before the first merge job.
          ...bucketCreate(buckets.files),
          ...streamInfo(objectStream(buckets.files)),
        ],
        subscribe: serving(Services.assets).subscribe,
        allowResponses: true,
        inbox: inboxOf('assets'),
      };
    case 'ipfs-worker':
      return {
        publish: [
          ...streamInfo(jobs),
          AssetJobSubjects.merged,
          ...durableConsumer(jobs, JobConsumers.ipfsAdd.name, JobConsumers.ipfsAdd.subject),
          ...durableConsumer(jobs, JobConsumers.ipfsUnpin.name, JobConsumers.ipfsUnpin.subject),
          ...durableConsumer(jobs, JobConsumers.ipfsPin.name, JobConsumers.ipfsPin.subject),
          ...bucketRead(buckets.files),
          ...bucketWrite(buckets.files),
        ],
        subscribe: [],
        inbox: inboxOf('ipfs-worker'),
      };
    case 'media-worker':
      return {
        publish: [
          ...streamInfo(jobs),
          AssetJobSubjects.ipfsAdd,
          AssetJobSubjects.merged,
          ...durableConsumer(jobs, JobConsumers.mediaMerge.name, JobConsumers.mediaMerge.subject),
          ...bucketRead(buckets.chunks),
          ...bucketCreate(buckets.files),
          ...bucketRead(buckets.files),
          ...bucketWrite(buckets.files),
        ],
        subscribe: [],
        inbox: inboxOf('media-worker'),
      };
    case 'agent': {
      const kinds = Object.keys(MasterJobSchemas) as MasterJobKind[];
      const compose = composeConsumer(identity.agent);
      return {
        publish: [
          ...streamInfo(jobs),
          ...kinds.flatMap((kind) =>
            durableConsumer(
              jobs,
              agentConsumerName(identity.agent, kind),
              agentJobSubject(identity.agent, kind),
            ),
          ),
          // Its compose step is its own: it requests, takes and answers it.
          JobSubjects.compose(identity.agent),
          ...durableConsumer(jobs, compose.name, compose.subject),
          JobSubjects.composed(identity.agent),
        ],
        subscribe: [],
        inbox: inboxOf(`agent_${identity.agent}`),
      };
    }
  }
}

/** The permissions of one identity; `buckets` only where the staging buckets are renamed. */
export function natsPermissions(
  identity: NatsIdentity,
  buckets: BucketNames = AssetBuckets,
): NatsPermissions {
  const grant = grantFor(identity, buckets);
  return {
    publish: { allow: [...new Set(grant.publish)] },
    // Replies (and JetStream acknowledgements of its publishes) reach a user on its own inbox.
    subscribe: { allow: [...new Set([...grant.subscribe, `${grant.inbox}.>`])] },
    allowResponses: grant.allowResponses ?? false,
    inboxPrefix: grant.inbox,
  };
}

/** The NATS user name of an identity, as it appears in server logs and credentials. */
export function natsUserName(identity: NatsIdentity): string {
  switch (identity.kind) {
    case 'agent':
      return `agent-${identity.agent}`;
    default:
      return identity.kind;
  }
}

/** Kept for callers that think of agents only. */
export const agentNatsPermissions = (agent: string): NatsPermissions =>
  natsPermissions({ kind: 'agent', agent });
