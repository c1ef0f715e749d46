import { ConfigError } from './config.js';
import type { Logger } from './logger.js';

type Closer = readonly [name: string, close: () => Promise<unknown> | unknown];

/**
 * Closes what a service opened, in reverse order, once, on SIGTERM/SIGINT or on demand: stop
 * taking work, drain NATS so in-flight replies go out, then close the database.
 */
export class Lifecycle {
  private readonly closers: Closer[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  onClose(name: string, close: () => Promise<unknown> | unknown): void {
    this.closers.push([name, close]);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const [name, close] of [...this.closers].reverse()) {
        try {
          await close();
        } catch (err) {
          this.log.error({ err, name }, 'error while closing');
        }
      }
      this.log.info('stopped');
    })();
    return this.closing;
  }

  /** Exits the process after a clean close; a second signal exits at once. */
  handleSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.closing) process.exit(1);
      this.log.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 20_000);
      force.unref();
      void this.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
}

/**
 * The body of every service's main.ts: start it, close it cleanly on SIGTERM/SIGINT, and exit
 * with a readable message (every bad setting listed) when it cannot start.
 */
export async function runMain(start: () => Promise<{ lifecycle: Lifecycle }>): Promise<void> {
  try {
    const started = await start();
    started.lifecycle.handleSignals();
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  }
}
