/**
 * What an agent may do on NATS (SPEC §4): take only the jobs addressed to it and publish only its
 * own compose requests. The consumer names are part of the contract because permissions name
 * them: JetStream API subjects carry the stream and consumer names.
 */
import { JobSubjects } from './jobs.js';
import { MasterJobSchemas, type MasterJobKind } from './master-jobs.js';
import { Streams } from './streams.js';

/** The subject of one job kind addressed to one agent. */
export const agentJobSubject = (agent: string, kind: MasterJobKind): string =>
  ({
    seal: JobSubjects.seal,
    release: JobSubjects.release,
    fetch: JobSubjects.fetch,
    composed: JobSubjects.composed,
  })[kind](agent);

/** The durable consumer of one job kind of one agent; replicas of the same agent share it. */
export const agentConsumerName = (agent: string, kind: MasterJobKind): string =>
  `agent-${agent}-${kind}`;

export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/**
 * A nats-server `permissions` block for an agent's user (or an nsc user's `--allow-pub` and
 * `--allow-sub`). It allows looking up the JOBS stream, creating, reading and pulling from the
 * agent's own consumers, acknowledging their messages, publishing its compose requests, and the
 * replies of its own requests; nothing else, so another agent's jobs are out of reach.
 */
export function agentNatsPermissions(agent: string): NatsPermissions {
  const jobs = Streams.jobs.name;
  const kinds = Object.keys(MasterJobSchemas) as MasterJobKind[];
  return {
    publish: {
      allow: [
        // Account information: the JetStream client checks it before anything else.
        '$JS.API.INFO',
        `$JS.API.STREAM.INFO.${jobs}`,
        ...kinds.flatMap((kind) => {
          const name = agentConsumerName(agent, kind);
          return [
            `$JS.API.CONSUMER.INFO.${jobs}.${name}`,
            // Only the form that carries the filter subject: a consumer of the agent's name
            // cannot be pointed at another agent's jobs.
            `$JS.API.CONSUMER.CREATE.${jobs}.${name}.${agentJobSubject(agent, kind)}`,
            `$JS.API.CONSUMER.MSG.NEXT.${jobs}.${name}`,
            `$JS.ACK.${jobs}.${name}.>`,
          ];
        }),
        JobSubjects.compose(agent),
      ],
    },
    subscribe: { allow: ['_INBOX.>'] },
  };
}
