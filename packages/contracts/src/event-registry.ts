/**
 * Every status event on the EVENTS stream, keyed by subject; the record id is the `*` token.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { AgentEvent } from './agents.js';
import { AuditEvent } from './audit.js';
import { AudioAssetEvent } from './audio-asset-events.js';
import {
  DownloadTaskEvent,
  GrantEvent,
  PrivateTaskEvent,
  UploadTaskEvent,
} from './master-tasks.js';
import { subjectMatches } from './subject-match.js';

export const Events = {
  'events.tasks.agent.*': AgentEvent,
  'events.tasks.upload.*': UploadTaskEvent,
  'events.tasks.download.*': DownloadTaskEvent,
  'events.tasks.private.*': PrivateTaskEvent,
  'events.tasks.grant.*': GrantEvent,
  'events.tasks.audit.*': AuditEvent,
  'events.assets.audio.*': AudioAssetEvent,
} as const satisfies Record<string, TSchema>;

export type EventSubject = keyof typeof Events;
export type EventOf<S extends EventSubject> = Static<(typeof Events)[S]>;

/** The registry entry a concrete event subject belongs to, or undefined when none declares it. */
export const eventSubjectOf = (subject: string): EventSubject | undefined =>
  (Object.keys(Events) as EventSubject[]).find((pattern) => subjectMatches(pattern, subject));
