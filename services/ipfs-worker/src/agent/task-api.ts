import type {
  Agent,
  DownloadTask,
  MasterSource,
  PrivateUploadTask,
  UploadTask,
} from '@media-vault/contracts';

/** A refusal from the task API: its HTTP status and the seed envelope's `message`. */
export class TaskApiError extends Error {
  override readonly name = 'TaskApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** 4xx other than 408/429: asking again will not help. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export interface BlockReport {
  readonly status: number;
  readonly percent?: number;
  readonly name?: string;
  readonly file?: string;
  readonly hash?: string;
  readonly size?: number;
  readonly ip?: string;
  readonly reason?: string;
}

/** The task API keeps at most 1000 characters of a reason; a longer one is cut, not refused. */
const briefly = <R extends { reason?: string }>(report: R): R =>
  report.reason !== undefined && report.reason.length > 1000
    ? { ...report, reason: `${report.reason.slice(0, 997)}...` }
    : report;

/** An already-ended task refuses a last report (409): it keeps the outcome it already has. */
export const ignoreEnded = (err: unknown): void => {
  if (err instanceof TaskApiError && err.status === 409) return;
  throw err;
};

/**
 * The seed 000 task API as the agent's user sees it: the agent reports through the same HTTP
 * routes a desktop client uses, with its user's token, so the gateway and the tasks service
 * check it like any client.
 */
export class TaskApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: object): Promise<T> {
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        Token: this.token,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: { data?: unknown; message?: unknown } | undefined;
    try {
      parsed = JSON.parse(text) as { data?: unknown; message?: unknown };
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const message = typeof parsed?.message === 'string' ? parsed.message : text.slice(0, 200);
      throw new TaskApiError(res.status, `${method} ${path}: ${res.status} ${message}`);
    }
    return parsed?.data as T;
  }

  registerAgent(body: {
    id: string;
    name: string;
    peer_id: string;
    public_key: string;
    signing_key: string;
  }): Promise<Agent> {
    return this.call('POST', '/agents/', body);
  }

  getSource(sourceId: number): Promise<MasterSource> {
    return this.call('GET', `/sources/${sourceId}/`);
  }

  reportUpload(taskId: number, report: BlockReport): Promise<UploadTask> {
    return this.call('PATCH', `/tasks/upload/pbulic/${taskId}/`, briefly(report));
  }

  reportPrivate(taskId: number, report: BlockReport): Promise<PrivateUploadTask> {
    return this.call('PATCH', `/tasks/upload/private/${taskId}`, briefly(report));
  }

  privateTasks(): Promise<PrivateUploadTask[]> {
    return this.call('GET', '/tasks/upload/private/');
  }

  getDownload(taskId: number): Promise<DownloadTask> {
    return this.call('GET', `/tasks/download/${taskId}/`);
  }

  reportDownload(
    taskId: number,
    report: { status: number; percent?: number; reason?: string },
  ): Promise<DownloadTask> {
    return this.call('PATCH', `/tasks/download/${taskId}/`, briefly(report));
  }
}
