import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs in production; pretty ones when a person is watching a terminal. */
export function createLogger(level: string, name: string): Logger {
  const pretty = process.stdout.isTTY === true;
  return pino({
    level,
    name,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  });
}

/** A logger that writes nothing (tests), or only from `level` up, always as JSON (to `destination`, default stdout). */
export function plainLogger(level = 'silent', destination?: DestinationStream): Logger {
  return destination ? pino({ level }, destination) : pino({ level });
}
