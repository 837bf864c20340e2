import type { ServerEvent } from './types.js';

/** Every error of this package. */
export class TidemarkError extends Error {
  override name = 'TidemarkError';
}

/** A bad option of `createClient`. */
export class TidemarkConfigError extends TidemarkError {
  override name = 'TidemarkConfigError';
}

/** `track` was given a malformed event; `field` names what is wrong. Nothing was queued. */
export class TidemarkValidationError extends TidemarkError {
  override name = 'TidemarkValidationError';
  readonly field: string;
  constructor(message: string, field: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/**
 * The collector refused events with a `4xx` (bad input, a key without `events:write` or the
 * site, …): they are never retried. `status`, the collector's `error` and `field` say why.
 */
export class TidemarkRejectedError extends TidemarkError {
  override name = 'TidemarkRejectedError';
  readonly status: number;
  readonly field: string | undefined;
  readonly events: ServerEvent[];
  constructor(status: number, error: string, field: string | undefined, events: ServerEvent[]) {
    super(`${status}: ${error} (${events.length} event${events.length === 1 ? '' : 's'} refused)`);
    this.status = status;
    this.field = field;
    this.events = events;
  }
}

/** A batch could not be delivered: retries ran out, or `shutdown` timed out first. */
export class TidemarkDeliveryError extends TidemarkError {
  override name = 'TidemarkDeliveryError';
  readonly events: ServerEvent[];
  constructor(message: string, events: ServerEvent[], cause?: unknown) {
    super(message, { cause });
    this.events = events;
  }
}

/** The queue was full: the oldest events are being dropped (`stats().dropped` counts them). */
export class TidemarkQueueFullError extends TidemarkError {
  override name = 'TidemarkQueueFullError';
}
