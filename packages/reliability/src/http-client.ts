import { SignJWT } from 'jose';

/** What the clients saw during one stretch of a run, summed over every request they sent. */
export interface ClientStats {
  requests: number;
  /** Replies with a 5xx status. */
  http5xx: number;
  /** Requests sent that got no reply: connection reset, time-out. */
  connectionErrors: number;
  /**
   * Connections refused (the replica is down or stopping): nothing was sent, and a balancer
   * in front of the replicas would have tried the next one, as this client does.
   */
  refused: number;
  /** 4xx replies a flow did not expect (a flow's own bad input would be a bug in the flow). */
  unexpected4xx: number;
  /** A sample of what the failures said, to name them in the report. */
  samples: string[];
}

export const emptyStats = (): ClientStats => ({
  requests: 0,
  http5xx: 0,
  connectionErrors: 0,
  refused: 0,
  unexpected4xx: 0,
  samples: [],
});

export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export interface RequestOptions {
  readonly token: string;
  readonly json?: unknown;
  readonly bytes?: Uint8Array;
  /** Statuses the flow expects as an answer (besides 2xx), e.g. 409 for a report repeated. */
  readonly accept?: readonly number[];
  /**
   * Sent as `Idempotency-Key` with the request and every retry of it, so that a create whose
   * reply was lost and that is sent again answers the task it made instead of making another.
   */
  readonly idempotencyKey?: string;
}

/**
 * A client of several gateway replicas, as a round-robin load balancer in front of them would
 * be: each request goes to the next replica, and a request that fails (no reply, or a 5xx) is
 * sent again to the next one after a pause, until `retryForMs` has passed. Every failure is
 * counted: the run reports what clients saw, even when the retry then succeeded.
 */
export class GatewayClient {
  private next = 0;

  constructor(
    readonly urls: readonly string[],
    readonly stats: ClientStats,
    private readonly retryForMs = 120_000,
  ) {}

  async request(method: string, path: string, opts: RequestOptions): Promise<Reply> {
    const deadline = Date.now() + this.retryForMs;
    let pause = 100;
    for (;;) {
      const base = this.urls[this.next++ % this.urls.length]!;
      this.stats.requests++;
      let failure: string;
      let reply: Reply | undefined;
      try {
        const res = await fetch(`${base}/api/v1${path}`, {
          method,
          headers: {
            Token: opts.token,
            ...(opts.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : {}),
            ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(opts.bytes ? { 'content-type': 'application/octet-stream' } : {}),
          },
          ...(opts.json !== undefined ? { body: JSON.stringify(opts.json) } : {}),
          ...(opts.bytes ? { body: opts.bytes } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        reply = { status: res.status, body };
        failure = `${method} ${path} → ${res.status} ${text.slice(0, 160)}`;
      } catch (err) {
        const code = ((err as Error).cause as { code?: string } | undefined)?.code;
        if (code === 'ECONNREFUSED') this.stats.refused++;
        else this.stats.connectionErrors++;
        failure = `${method} ${path}: ${(err as Error).message} (${code ?? 'no code'})`;
      }
      if (reply) {
        if (reply.status < 400 || opts.accept?.includes(reply.status)) return reply;
        if (reply.status < 500) {
          this.stats.unexpected4xx++;
          this.sample(failure);
          throw new Error(failure);
        }
        this.stats.http5xx++;
      }
      this.sample(failure);
      if (Date.now() > deadline) throw new Error(`gave up after ${this.retryForMs} ms: ${failure}`);
      await new Promise((done) => setTimeout(done, pause));
      pause = Math.min(pause * 2, 2_000);
    }
  }

  private sample(line: string): void {
    if (this.stats.samples.length < 20) this.stats.samples.push(line);
  }
}

/** A token the gateways accept (HS256 with the run's secret), for one user. */
export const signToken = (secret: string, sub: string, roles: number[] = []): Promise<string> =>
  new SignJWT({ name: `user ${sub}`, roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(secret));
