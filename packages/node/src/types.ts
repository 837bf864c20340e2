/** Custom properties: at most 30 keys of 1–64 characters; values a string of at most 256 characters, a number or a boolean. */
export type Props = Record<string, string | number | boolean>;

/** One server-side event (SPEC §4 and §11): what happened, and to which visitor. */
export interface ServerEvent {
  /** The site's name in Tidemark (a host name). */
  site: string;
  /** `pageview`, or a custom event's name: 1–64 characters of `[A-Za-z0-9 _.:-]`. */
  name: string;
  /** The page the event belongs to: an absolute http(s) URL. */
  url: string;
  referrer?: string;
  props?: Props;
  /** When it happened (at most 30 days ago, at most 1 minute ahead); default: when the collector receives it. */
  timestamp?: Date | string | number;
  /** The visitor's IP address (for the country, region, city and the visitor id; never stored). */
  ip?: string;
  /** The visitor's User-Agent (device, browser, OS, bot filter, visitor id; never stored). */
  userAgent?: string;
  /** A UUID; made when absent. A retried event keeps its id, so it is stored once. */
  eventId?: string;
  /** For `engagement`: the `eventId` of its pageview. */
  pageviewId?: string;
  /** For `engagement`: visible time on the page in ms. */
  durationMs?: number;
  screenWidth?: number;
}

export interface ClientOptions {
  /** The collector's events endpoint, e.g. `https://stats.example.com/api/event` (a bare origin gets `/api/event`). */
  endpoint: string;
  /** An API key holding `events:write` (`API_TOKEN`, or a key from the keys API). */
  key: string;
  /** Events per request, 1–100 (the collector's limit). Default 100. */
  batchSize?: number;
  /** How long an event may wait for its batch to fill before it is sent, in ms. Default 1 000. */
  flushIntervalMs?: number;
  /** Events that may wait; beyond it the oldest are dropped (and counted). Default 10 000. */
  maxQueueSize?: number;
  /** Retries of a batch after network errors, 5xx, 429 and 503, with exponential backoff. Default 10. */
  maxRetries?: number;
  /** The first retry's delay in ms; each next one doubles, up to `maxBackoffMs`, with jitter. Default 500. */
  minBackoffMs?: number;
  /** The longest wait between two tries in ms, also for a `Retry-After`. Default 30 000. */
  maxBackoffMs?: number;
  /** One request's time limit in ms. Default 10 000. */
  timeoutMs?: number;
  /** Called with every error that happens in the background (rejected events, given-up batches, a full queue). Default: `console.error`. */
  onError?: (error: Error) => void;
  /** The `fetch` to use (a runtime's own, or a wrapper). Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** Counts since the client was made. */
export interface ClientStats {
  /** Events waiting to be sent. */
  queued: number;
  /** Events in the request under way (or waiting for its retry). */
  inFlight: number;
  /** Events the collector acknowledged (`202`: durably queued). */
  sent: number;
  /** Events the collector refused (`4xx`): never retried. */
  rejected: number;
  /** Events given up after `maxRetries`, or still waiting when `shutdown` timed out. */
  failed: number;
  /** Oldest events dropped because the queue was full. */
  dropped: number;
  /** Requests retried. */
  retries: number;
}

export interface TidemarkClient {
  /** Queues an event; it is sent within `flushIntervalMs`, or at once when a batch is full. Throws `TidemarkValidationError` for a malformed event. */
  track(event: ServerEvent): void;
  /** Sends everything queued; resolves when each event was acknowledged, refused or given up. */
  flush(): Promise<void>;
  /** Stops taking events, flushes (within `timeoutMs`, default 10 000), and stops. Events not sent by then count as failed. */
  shutdown(timeoutMs?: number): Promise<void>;
  stats(): ClientStats;
}
