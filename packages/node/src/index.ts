/**
 * `@tidemark/node`: send server-side events to Tidemark's collector (SPEC §11) from Node, Deno,
 * Bun or an edge runtime — `fetch` only.
 *
 *   import { createClient } from '@tidemark/node';
 *   const tidemark = createClient({ endpoint: 'https://stats.example.com/api/event', key: process.env.TIDEMARK_KEY });
 *   tidemark.track({ site: 'example.com', name: 'signup', url: 'https://example.com/welcome', ip, userAgent });
 *   await tidemark.shutdown(); // before the process exits
 */
export { parseRetryAfter, retryDelay } from './backoff.js';
export { createClient, VERSION } from './client.js';
export {
  TidemarkConfigError,
  TidemarkDeliveryError,
  TidemarkError,
  TidemarkQueueFullError,
  TidemarkRejectedError,
  TidemarkValidationError,
} from './errors.js';
export type { ClientOptions, ClientStats, Props, ServerEvent, TidemarkClient } from './types.js';
