/** A refusal or failure of the task API: its HTTP status (none when it was not reached). */
export class TaskApiError extends Error {
  override readonly name = 'TaskApiError';
  constructor(
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Worth asking again: the gateway was not reached, was busy or failed. */
  get transient(): boolean {
    return (
      this.status === undefined || this.status === 408 || this.status === 429 || this.status >= 500
    );
  }

  /** 4xx other than 408/429: asking again will not help. */
  get permanent(): boolean {
    return this.status !== undefined && this.status >= 400 && this.status < 500 && !this.transient;
  }
}

/** An already-ended task refuses a last report (409): it keeps the outcome it already has. */
export const ignoreEnded = (err: unknown): void => {
  if (err instanceof TaskApiError && err.status === 409) return;
  throw err;
};
