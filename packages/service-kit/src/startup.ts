/**
 * Whether a NATS call failed because NATS or JetStream cannot answer yet (no server reached, no
 * reply in time, JetStream without a leader or not started), as opposed to a refusal that
 * retrying will not change (a permission, a bad configuration). On a loaded machine or while a
 * cluster elects its leaders, JetStream's API calls time out for a while.
 */
export function isNatsUnavailable(err: unknown): boolean {
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 5; depth++) {
    if (UNAVAILABLE_NAMES.has(at.name)) return true;
    if (at.name === 'JetStreamApiError' && (at as { status?: unknown }).status === 503) return true;
    at = at.cause;
  }
  return false;
}

// nats.js's error names for a request with no answer, no responder, or no connection.
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'NoResponders',
  'ClosedConnectionError',
  'ConnectionError',
  'JetStreamNotEnabled',
]);

export interface UntilNatsReadyOptions {
  readonly log: { warn(obj: object, msg: string): void };
  /** Stops the retries: the step's last error is thrown. */
  readonly signal?: AbortSignal;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Runs a start-up step that talks to NATS (a stream or consumer check, a bucket bind) until it
 * succeeds, retrying with a growing delay while NATS cannot answer yet, instead of letting the
 * process exit; any other failure is thrown at once. `what` names the step in the log.
 */
export async function untilNatsReady<T>(
  what: string,
  step: () => Promise<T>,
  opts: UntilNatsReadyOptions,
): Promise<T> {
  let delay = opts.firstDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (!isNatsUnavailable(err) || opts.signal?.aborted) throw err;
      opts.log.warn({ err, step: what, attempt, retryInMs: delay }, 'NATS not ready; will retry');
      await new Promise<void>((done) => {
        const timer = setTimeout(done, delay);
        opts.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            done();
          },
          { once: true },
        );
      });
      if (opts.signal?.aborted) throw err;
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 5_000);
    }
  }
}
