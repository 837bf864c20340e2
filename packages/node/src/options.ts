import { TidemarkConfigError } from './errors.js';
import type { ClientOptions } from './types.js';

export type Options = Required<Omit<ClientOptions, 'endpoint'>> & { endpoint: string };

function count(options: ClientOptions, name: keyof ClientOptions, fallback: number, min: number, max: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new TidemarkConfigError(`${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  return value;
}

/** The options with their defaults, or a `TidemarkConfigError` naming the bad one. */
export function resolveOptions(options: ClientOptions): Options {
  if (typeof options !== 'object' || options === null) throw new TidemarkConfigError('createClient takes { endpoint, key }');
  const { endpoint, key, onError, fetch: fetcher } = options;
  let url: URL | null = null;
  try {
    url = typeof endpoint === 'string' ? new URL(endpoint) : null;
  } catch {}
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new TidemarkConfigError(`endpoint must be an http(s) URL such as https://stats.example.com/api/event (got ${String(endpoint)})`);
  if (url.pathname === '/') url.pathname = '/api/event';
  if (typeof key !== 'string' || key.trim() === '') throw new TidemarkConfigError('key must be an API key holding events:write');
  if (onError !== undefined && typeof onError !== 'function') throw new TidemarkConfigError('onError must be a function');
  const fetchImpl = fetcher ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new TidemarkConfigError('no fetch in this runtime: pass options.fetch');
  const maxBackoffMs = count(options, 'maxBackoffMs', 30_000, 1, 3_600_000);
  return {
    endpoint: url.href,
    key,
    batchSize: count(options, 'batchSize', 100, 1, 100),
    flushIntervalMs: count(options, 'flushIntervalMs', 1_000, 0, 3_600_000),
    maxQueueSize: count(options, 'maxQueueSize', 10_000, 1, 10_000_000),
    maxRetries: count(options, 'maxRetries', 10, 0, 1_000),
    minBackoffMs: count(options, 'minBackoffMs', 500, 1, maxBackoffMs),
    maxBackoffMs,
    timeoutMs: count(options, 'timeoutMs', 10_000, 1, 600_000),
    onError: onError ?? ((error) => console.error('tidemark:', error)),
    // Called unbound: some runtimes' fetch refuses another `this`.
    fetch: (input, init) => fetchImpl(input, init),
  };
}
