/**
 * Job subjects on the JOBS work-queue stream. Agent-addressed jobs carry the agent id in the
 * subject so an agent's credentials can be limited to `jobs.ipfs.<its id>.>`.
 */
import type { MasterJobKind } from './master-jobs.js';

const token = (id: string): string => {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`"${id}" cannot be a subject token`);
  return id;
};

export const JobSubjects = {
  seal: (agent: string) => `jobs.ipfs.${token(agent)}.seal`,
  release: (agent: string) => `jobs.ipfs.${token(agent)}.release`,
  fetch: (agent: string) => `jobs.ipfs.${token(agent)}.fetch`,
  /** The media worker's verdict on a file the agent composed. */
  composed: (agent: string) => `jobs.ipfs.${token(agent)}.composed`,
  /**
   * Verify a master an agent decrypted. Addressed to the agent because the file is on its disk:
   * only a media worker beside it (same host or volume) can take the job.
   */
  compose: (agent: string) => `jobs.media.${token(agent)}.compose`,
  /** Compose jobs of every agent: for a media worker sharing one machine with all its agents. */
  composeAnyAgent: 'jobs.media.*.compose',
  /** The platform pins a sealed block an agent added (PinJob); not agent-addressed. */
  pin: 'jobs.ipfs.pin',
  /** Every job addressed to one agent. */
  agent: (agent: string) => `jobs.ipfs.${token(agent)}.>`,
} as const;

/**
 * The subject of each agent-addressed job kind: the one map the tasks service, the agent and the
 * agent's NATS permissions all read.
 */
export const AgentJobSubjects: Readonly<Record<MasterJobKind, (agent: string) => string>> = {
  seal: JobSubjects.seal,
  release: JobSubjects.release,
  fetch: JobSubjects.fetch,
  composed: JobSubjects.composed,
};

/** The subject of one job kind addressed to one agent. */
export const agentJobSubject = (agent: string, kind: MasterJobKind): string =>
  AgentJobSubjects[kind](agent);
