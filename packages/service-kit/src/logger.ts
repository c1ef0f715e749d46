import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

/**
 * JSON lines for log collectors; readable lines when a person is watching a terminal (`npm run
 * dev` passes its TTY to every service). Pretty-printing runs in this thread, which costs CPU
 * a production replica should not spend, so it is only ever chosen for a TTY.
 */
export const createLogger = (
  service: string,
  level: string,
  pretty: boolean = process.stdout.isTTY === true,
): Logger =>
  pretty
    ? pino(
        { name: service, level, base: { service } },
        PinoPretty({ colorize: true, ignore: 'pid,hostname,service', translateTime: 'HH:MM:ss.l' }),
      )
    : pino({ name: service, level, base: { service } });
