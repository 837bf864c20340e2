import type { Logger } from './logger.ts';

/**
 * Runs a start-up step again while it fails with an error its client marks retriable
 * (kafkajs: a topic created a moment ago whose leader is not known yet, a broker still
 * starting), with backoff, for up to `deadlineMs`; anything else fails at once.
 */
export async function retryStartup<T>(what: string, log: Logger, step: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const retriable = (error as { retriable?: unknown }).retriable === true;
      if (!retriable || Date.now() > deadline) throw error;
      const waitMs = Math.min(5000, 200 * 2 ** attempt);
      log.warn({ err: error, what, attempt, retryInMs: waitMs }, 'startup_retry');
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
