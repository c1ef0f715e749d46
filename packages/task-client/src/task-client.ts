import type {
  Agent,
  AgentList,
  AppendAuditBody,
  AuditEntry,
  AuditEntryList,
  CreateDownloadTaskQuery,
  CreateGrantBody,
  CreateUploadTaskBody,
  DownloadTask,
  Grant,
  GrantList,
  MasterSource,
  PrivateStatusChoices,
  PrivateUploadTask,
  PrivateUploadTaskList,
  RegisterAgentBody,
  RevokeGrantBody,
  UploadTask,
  UserDetail,
} from '@media-vault/contracts';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { briefly, type BlockReport, type DownloadReport } from './reports.js';
import { TaskApiError } from './task-api-error.js';

export interface TaskClientOptions {
  /** Gateway base URL, e.g. `http://localhost:8080` (a trailing `/api/v1` is accepted too). */
  readonly baseUrl: string;
  /** The user's token, sent as the seed's `Token` header. */
  readonly token: string;
  /** Aborts every request; its reason is what the request rejects with. */
  readonly signal?: AbortSignal | undefined;
  /** One request may take this long before it counts as a connection failure. */
  readonly requestTimeoutMs?: number;
  /** The pause before a create is asked again, doubled each time (default 500 ms). */
  readonly retryPauseMs?: number;
}

/** A create is sent at most this many times (the same key each time). */
const CREATE_ATTEMPTS = 4;

export interface PrivateTaskListReply {
  readonly data: PrivateUploadTaskList;
  readonly meta: { readonly status_choices: typeof PrivateStatusChoices };
}

type Query = Record<string, string | number | undefined>;

/** One Server-Sent Event of `GET /api/v1/events/`: the EVENTS stream sequence and the event. */
export interface GatewayEvent {
  readonly id: string;
  /** The status event as published (`type`, `record`, `status` …), or undefined if not JSON. */
  readonly data: unknown;
}

/**
 * The seed 000 task API as one user sees it: the `Token` header the seed's desktop client sends,
 * JSON bodies (the gateway takes them beside the seed's forms), the `{data, message}` envelope
 * unwrapped, and every refusal turned into a TaskApiError carrying the server's `message`. The
 * CLI calls it for its user; an agent reports through the same routes with its user's token, so
 * the gateway and the tasks service check it like any client.
 */
export class TaskClient {
  private readonly base: string;
  private readonly requestTimeoutMs: number;
  private readonly retryPauseMs: number;

  constructor(private readonly opts: TaskClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.retryPauseMs = opts.retryPauseMs ?? 500;
  }

  me(): Promise<UserDetail> {
    return this.call('GET', '/users/me/');
  }

  listAgents(): Promise<AgentList> {
    return this.call('GET', '/agents/');
  }

  /** Any agent's public keys, as the platform has them registered. */
  getAgent(id: string): Promise<Agent> {
    return this.call('GET', `/agents/${encodeURIComponent(id)}/`);
  }

  registerAgent(body: RegisterAgentBody): Promise<Agent> {
    return this.call('POST', '/agents/', { body });
  }

  getSource(sourceId: number): Promise<MasterSource> {
    return this.call('GET', `/sources/${sourceId}/`);
  }

  /**
   * Creates the task under an `Idempotency-Key` (a fresh one unless given) and asks again with
   * the same key when the gateway was not reached, busy or failed: a create whose reply was lost
   * answers the task it made instead of making a second one.
   */
  async createUploadTask(
    body: CreateUploadTaskBody,
    opts: { idempotencyKey?: string } = {},
  ): Promise<UploadTask> {
    const headers = { 'Idempotency-Key': opts.idempotencyKey ?? randomUUID() };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call('POST', '/tasks/upload/pbulic/', { body, headers });
      } catch (err) {
        const retry = err instanceof TaskApiError && err.transient && attempt < CREATE_ATTEMPTS;
        if (!retry || this.opts.signal?.aborted) throw err;
        await sleep(this.retryPauseMs * 2 ** (attempt - 1), undefined, {
          ...(this.opts.signal ? { signal: this.opts.signal } : {}),
        }).catch(() => {
          throw this.opts.signal?.reason;
        });
      }
    }
  }

  /** The sealing agent's progress on the public block (the seed's route name, typo included). */
  reportUpload(taskId: number, report: BlockReport): Promise<UploadTask> {
    return this.call('PATCH', `/tasks/upload/pbulic/${taskId}/`, { body: briefly(report) });
  }

  /** The whole reply: the seed puts `meta.status_choices` beside `data`. */
  listPrivateTasks(): Promise<PrivateTaskListReply> {
    return this.call('GET', '/tasks/upload/private/', { whole: true });
  }

  reportPrivate(taskId: number, report: BlockReport): Promise<PrivateUploadTask> {
    return this.call('PATCH', `/tasks/upload/private/${taskId}`, { body: briefly(report) });
  }

  /** Retries a failed private block release: 9 → 0 sends the release to the sealing agent again. */
  retryPrivateTask(id: number): Promise<PrivateUploadTask> {
    return this.call('PATCH', `/tasks/upload/private/${id}`, { body: { status: 0 } });
  }

  /** The seed opens a download task with a GET; asking again returns the same unfinished task. */
  openDownloadTask(query: CreateDownloadTaskQuery): Promise<DownloadTask> {
    return this.call('GET', '/tasks/download/', { query: { ...query } });
  }

  getDownloadTask(id: number): Promise<DownloadTask> {
    return this.call('GET', `/tasks/download/${id}/`);
  }

  reportDownload(taskId: number, report: DownloadReport): Promise<DownloadTask> {
    return this.call('PATCH', `/tasks/download/${taskId}/`, { body: briefly(report) });
  }

  createGrant(sourceId: number, body: CreateGrantBody): Promise<Grant> {
    return this.call('POST', `/sources/${sourceId}/grants/`, { body });
  }

  listGrants(sourceId: number): Promise<GrantList> {
    return this.call('GET', `/sources/${sourceId}/grants/`);
  }

  revokeGrant(sourceId: number, userId: string, body?: RevokeGrantBody): Promise<Grant> {
    return this.call('DELETE', `/sources/${sourceId}/grants/${encodeURIComponent(userId)}/`, {
      ...(body ? { body } : {}),
    });
  }

  /** The source's audit log in seq order (its owner or root). */
  listAudit(sourceId: number): Promise<AuditEntryList> {
    return this.call('GET', `/sources/${sourceId}/audit/`);
  }

  /** An entry one of the caller's agents signed; the stored entry, chained. */
  appendAudit(sourceId: number, body: AppendAuditBody): Promise<AuditEntry> {
    return this.call('POST', `/sources/${sourceId}/audit/`, { body });
  }

  /**
   * The caller's live events (`GET /api/v1/events/`): what the gateway lets this user see, from
   * the moment the stream opened. Resolves once the gateway has answered, so everything
   * published after that is in the stream; a refusal is a TaskApiError. The stream ends when
   * `signal` aborts or the connection closes.
   */
  async openEvents(signal: AbortSignal): Promise<AsyncIterable<GatewayEvent>> {
    const url = `${this.base}/api/v1/events/`;
    // A fetch's signal also governs its body, so the time-out for the answer is a timer that is
    // cleared once the headers are in: only `signal` may end the endless body.
    const connection = new AbortController();
    const stopConnection = () => connection.abort(signal.reason);
    signal.addEventListener('abort', stopConnection, { once: true });
    const answerTimer = setTimeout(
      () => connection.abort(new DOMException('no answer in time', 'TimeoutError')),
      this.requestTimeoutMs,
    );
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { Token: this.opts.token, accept: 'text/event-stream' },
        signal: connection.signal,
      });
    } catch (err) {
      signal.removeEventListener('abort', stopConnection);
      if (signal.aborted) throw signal.reason;
      throw new TaskApiError(
        undefined,
        `cannot reach the gateway at ${this.base}: ${describe(err)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(answerTimer);
    }
    if (!res.ok || !res.body) {
      signal.removeEventListener('abort', stopConnection);
      const message = refusalMessage(res, parseEnvelope(await res.text().catch(() => '')));
      throw new TaskApiError(res.status, `GET /api/v1/events/: ${message} (HTTP ${res.status})`);
    }
    const messages = res.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream());
    return (async function* () {
      try {
        for await (const message of messages) {
          let data: unknown;
          try {
            data = JSON.parse(message.data);
          } catch {
            data = undefined;
          }
          yield { id: message.id ?? '', data };
        }
      } finally {
        // The caller stopped reading (or the stream ended): let the connection go.
        signal.removeEventListener('abort', stopConnection);
        connection.abort();
      }
    })();
  }

  private async call<R>(
    method: string,
    path: string,
    opts: { body?: object; query?: Query; whole?: boolean; headers?: Record<string, string> } = {},
  ): Promise<R> {
    const url = new URL(`${this.base}/api/v1${path}`);
    for (const [key, value] of Object.entries(opts.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const signal = this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          Token: this.opts.token,
          accept: 'application/json',
          ...opts.headers,
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
        },
        ...(opts.body ? { body: JSON.stringify(opts.body) } : {}),
        signal,
      });
    } catch (err) {
      // The caller's own deadline or Ctrl-C wins over the transport error it caused.
      if (this.opts.signal?.aborted) throw this.opts.signal.reason;
      throw new TaskApiError(
        undefined,
        `cannot reach the gateway at ${this.base}: ${describe(err)}`,
        { cause: err },
      );
    }
    const parsed = parseEnvelope(await res.text());
    if (!res.ok || parsed === undefined) {
      throw new TaskApiError(
        res.status,
        `${method} ${url.pathname}: ${refusalMessage(res, parsed)} (HTTP ${res.status})`,
      );
    }
    return (opts.whole ? parsed : parsed.data) as R;
  }
}

type Envelope = { data?: unknown; message?: unknown };

/** The gateway's `{data, message}` reply, or undefined when the body is not JSON (a proxy page). */
function parseEnvelope(text: string): Envelope | undefined {
  try {
    return JSON.parse(text) as Envelope;
  } catch {
    return undefined;
  }
}

/** The server's message when it gave one; otherwise the HTTP status is all there is to say. */
function refusalMessage(res: Response, reply: Envelope | undefined): string {
  return typeof reply?.message === 'string' && reply.message !== ''
    ? reply.message
    : `${res.status} ${res.statusText}`.trim();
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'no answer in time';
  // fetch hides the socket error (ECONNREFUSED, ENOTFOUND …) in `cause`.
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause ?? err.message;
}
