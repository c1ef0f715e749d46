import type { MasterTaskKind } from './master-tasks.js';

/**
 * Every NATS subject of the platform. Commands are request/reply on `svc.<service>.<op>`, served
 * through the NATS services framework; events are JetStream messages on `events.>`.
 */
export const Services = {
  tasks: 'tasks',
  assets: 'assets',
} as const;

export type ServiceName = (typeof Services)[keyof typeof Services];

/** Subject prefix of a service's command group. */
export const commandGroup = (service: ServiceName): string => `svc.${service}`;

/** Record ids become subject tokens, so they may hold only characters NATS allows there. */
const token = (id: string | number): string => {
  const text = String(id);
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error(`"${text}" cannot be a subject token`);
  return text;
};

export const EventSubjects = {
  agent: (id: string) => `events.tasks.agent.${token(id)}`,
  uploadTask: (id: number) => `events.tasks.upload.${token(id)}`,
  downloadTask: (id: number) => `events.tasks.download.${token(id)}`,
  privateTask: (id: number) => `events.tasks.private.${token(id)}`,
  grant: (id: number) => `events.tasks.grant.${token(id)}`,
  /** A source's audit log: one event per appended entry. */
  audit: (sourceId: number) => `events.tasks.audit.${token(sourceId)}`,
  audioAsset: (id: string) => `events.assets.audio.${token(id)}`,
  all: 'events.>',
} as const;

/** The event subject of each master task kind, for whoever publishes or follows task events. */
export const TaskEventSubjects: Readonly<Record<MasterTaskKind, (id: number) => string>> = {
  upload: EventSubjects.uploadTask,
  download: EventSubjects.downloadTask,
  private: EventSubjects.privateTask,
};
