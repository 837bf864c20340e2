/**
 * The start-up and shutdown every service shares: read the config once (a bad value stops
 * with one line naming the variable), start, and on SIGINT/SIGTERM stop gracefully —
 * flushing what is buffered — then exit. A second signal exits at once.
 */
import { type Config, loadConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import { createLogger, type Logger } from './logger.ts';

export type Stop = () => Promise<void>;

export function runMain(name: string, start: (config: Config, log: Logger) => Promise<Stop>): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    exitWith(name, error);
  }
  const log = createLogger(config.logLevel, name);
  start(config, log).then(
    (stop) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(1);
        stopping = true;
        log.info({ signal }, 'stopping');
        stop().then(
          () => {
            log.info('stopped');
            process.exit(0);
          },
          (error: unknown) => {
            log.error({ err: error }, 'stop_failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    },
    (error: unknown) => {
      if (!(error instanceof ConfigError)) log.fatal({ err: error }, 'start_failed');
      exitWith(name, error);
    },
  );
}

function exitWith(name: string, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tidemark ${name}: ${message}\n`);
  process.exit(1);
}
