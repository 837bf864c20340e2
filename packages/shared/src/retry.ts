/**
 * The one retry helper: exponential backoff with jitter, and a loop around it. Every error
 * from Kafka or ClickHouse that is worth another try goes through here (the ingester's
 * write-ahead and insert, the range-log read, start-up steps, the salt proposal).
 */

export interface BackoffOptions {
  /** The first wait's ceiling; each attempt doubles it. Default 100 ms. */
  baseMs?: number;
  /** The largest ceiling. Default 10 s. */
  maxMs?: number;
}

/**
 * How long to wait before attempt `attempt + 1`: a ceiling of `baseMs · 2^attempt` (at most
 * `maxMs`), and a random wait between half the ceiling and the ceiling ("equal jitter"), so
 * instances that failed together do not retry together, and none retries at once.
 */
export function backoffMs(attempt: number, { baseMs = 100, maxMs = 10_000 }: BackoffOptions = {}): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind either way. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface RetryOptions extends BackoffOptions {
  /** Whether an error deserves another attempt; the others are thrown at once. Default: all. */
  retriable?: (error: unknown) => boolean;
  /** Gives up (throws the last error) once this many ms have passed since the first attempt. */
  deadlineMs?: number;
  /** Gives up (throws the last error) once aborted; the wait in progress ends at once. */
  signal?: AbortSignal;
  /** Told of every failed attempt before its wait (the place to log). */
  onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  /** Runs after each wait, before the next attempt; its rejection ends the retries (a heartbeat that finds the partition gone). */
  between?: () => Promise<void>;
}

/** Runs `attempt` until it resolves, waiting `backoffMs` between failures. */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { retriable, deadlineMs, signal, onRetry, between } = options;
  const deadline = deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + deadlineMs;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted || (retriable && !retriable(error)) || Date.now() >= deadline) throw error;
      const wait = Math.max(0, Math.min(backoffMs(n, options), deadline - Date.now()));
      onRetry?.(error, n, wait);
      await sleep(wait, signal);
      if (signal?.aborted) throw error;
      await between?.();
    }
  }
}
