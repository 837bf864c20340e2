import type { Logger } from './logger.ts';
import { retry } from './retry.ts';

/**
 * Runs a start-up step again while it fails with an error its client marks retriable
 * (a topic created a moment ago whose leader is not known yet, a broker still starting),
 * with backoff, for up to `deadlineMs`; anything else fails at once.
 */
export function retryStartup<T>(what: string, log: Logger, step: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
  return retry(step, {
    baseMs: 200,
    maxMs: 5000,
    deadlineMs,
    retriable: (error) => (error as { retriable?: unknown }).retriable === true,
    onRetry: (error, attempt, retryInMs) => log.warn({ err: error, what, attempt, retryInMs }, 'startup_retry'),
  });
}
