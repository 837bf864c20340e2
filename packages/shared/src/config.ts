/**
 * Configuration (SPEC §7): read from the environment once at start-up, validated, and
 * passed in. A bad value throws `ConfigError` naming the variable; `main` prints that
 * one line and exits.
 */
import { parseAddressRange } from './addresses.ts';
import { ConfigError } from './errors.ts';

export interface Config {
  collector: {
    host: string;
    port: number;
    scriptPath: string;
    eventsPath: string;
    trustProxy: boolean;
    sites: string[] | null;
    /** Requests per client IP per minute; 0 turns the limit off. */
    rateLimitPerMinute: number;
    /** Server-side requests (SPEC §11) per API key per minute, instead of per IP; 0 turns the limit off. */
    keyRateLimitPerMinute: number;
    /** `API_TOKEN`: the bootstrap admin key, which may send server-side events (`events:write`). */
    apiToken: string | null;
    /** Events that may wait for the queue before requests get 503. */
    backlogEvents: number;
  };
  api: {
    host: string;
    port: number;
    token: string | null;
    /** `API_CORS_ORIGINS`: browser origins allowed to call the Stats API (`*` for any); unset → none. */
    corsOrigins: string[] | null;
    /** `TRUST_PROXY`: the client address (rate limits, audit log) from `X-Forwarded-For`. */
    trustProxy: boolean;
    /** Sign-in through a reverse proxy (SPEC §11): its user header and the addresses it connects from. */
    authProxy: { header: string; cidrs: string[] } | null;
  };
  ingester: { host: string; port: number; flushIntervalMs: number; flushMaxRows: number };
  clickhouse: {
    url: string | null;
    user: string;
    password: string;
    database: string;
    dataDir: string;
    retentionDays: number;
    /** `CLICKHOUSE_CLUSTER`: migrations run `ON CLUSTER` with Replicated engines and Distributed tables. */
    cluster: string | null;
  };
  kafka: {
    brokers: string[] | null;
    topic: string;
    dlqTopic: string;
    groupId: string;
    partitions: number;
    /** Where collectors share the daily visitor-id salt (distributed mode). */
    saltsTopic: string;
  };
  logLevel: string;
}

type Env = Record<string, string | undefined>;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const NAME = /^[A-Za-z0-9._-]{1,249}$/;

function read(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === '' ? undefined : value;
}

function int(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = read(env, key);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new ConfigError(`${key}=${raw} must be an integer from ${min} to ${max}`);
  return n;
}

function bool(env: Env, key: string): boolean {
  const raw = read(env, key)?.toLowerCase();
  if (raw === undefined || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  throw new ConfigError(`${key}=${raw} must be true or false`);
}

function path(env: Env, key: string, fallback: string): string {
  const raw = read(env, key) ?? fallback;
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(raw) || raw.includes('//')) throw new ConfigError(`${key}=${raw} must be a URL path starting with /`);
  return raw;
}

function name(env: Env, key: string, fallback: string): string {
  const raw = read(env, key) ?? fallback;
  if (!NAME.test(raw)) throw new ConfigError(`${key}=${raw} must be 1-249 characters of [A-Za-z0-9._-]`);
  return raw;
}

function identifier(env: Env, key: string, fallback: string): string {
  const raw = read(env, key) ?? fallback;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(raw)) throw new ConfigError(`${key}=${raw} must be an identifier of [A-Za-z0-9_]`);
  return raw;
}

function list(env: Env, key: string): string[] | null {
  const raw = read(env, key);
  if (raw === undefined) return null;
  const items = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (items.length === 0) throw new ConfigError(`${key} must be a comma-separated list`);
  return items;
}

function url(env: Env, key: string): string | null {
  const raw = read(env, key);
  if (raw === undefined) return null;
  if (!/^https?:\/\//.test(raw) || !URL.canParse(raw)) throw new ConfigError(`${key}=${raw} must be an http(s) URL`);
  // Credentials in the URL would end up in logs and start-up output: they have variables of their own.
  const { username, password } = new URL(raw);
  if (username || password) throw new ConfigError(`${key} must not contain credentials: use CLICKHOUSE_USER and CLICKHOUSE_PASSWORD`);
  return raw.replace(/\/+$/, '');
}

function origins(env: Env, key: string): string[] | null {
  const items = list(env, key);
  for (const origin of items ?? []) {
    if (origin !== '*' && !/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(origin))
      throw new ConfigError(`${key} has ${origin}, expected * or origins like https://example.com`);
  }
  return items;
}

/** `AUTH_PROXY_HEADER` and `AUTH_PROXY_CIDRS`: both or neither. */
function authProxy(env: Env): Config['api']['authProxy'] {
  const header = read(env, 'AUTH_PROXY_HEADER');
  const cidrs = list(env, 'AUTH_PROXY_CIDRS');
  if (header === undefined && cidrs === null) return null;
  if (header === undefined) throw new ConfigError('AUTH_PROXY_HEADER must be set with AUTH_PROXY_CIDRS (e.g. X-Forwarded-User)');
  if (cidrs === null)
    throw new ConfigError('AUTH_PROXY_CIDRS must be set with AUTH_PROXY_HEADER: the addresses of the proxy, e.g. 127.0.0.1/32');
  if (!/^[A-Za-z0-9-]{1,64}$/.test(header)) throw new ConfigError(`AUTH_PROXY_HEADER=${header} must be an HTTP header name`);
  if (['authorization', 'cookie', 'host', 'x-forwarded-for'].includes(header.toLowerCase()))
    throw new ConfigError(`AUTH_PROXY_HEADER=${header} must be a header of its own, like X-Forwarded-User`);
  for (const cidr of cidrs) {
    if (parseAddressRange(cidr) === null)
      throw new ConfigError(`AUTH_PROXY_CIDRS has ${cidr}, expected addresses or CIDR ranges like 10.0.0.0/8`);
  }
  return { header: header.toLowerCase(), cidrs };
}

export function loadConfig(env: Env = process.env): Config {
  const host = read(env, 'HOST');
  const logLevel = (read(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL=${logLevel} must be one of ${LEVELS.join(', ')}`);
  const brokers = list(env, 'KAFKA_BROKERS');
  for (const broker of brokers ?? []) {
    if (!/^[a-z0-9.-]+:\d{1,5}$/.test(broker)) throw new ConfigError(`KAFKA_BROKERS has ${broker}, expected host:port`);
  }
  return {
    collector: {
      host: host ?? '0.0.0.0',
      port: int(env, 'COLLECTOR_PORT', 8080, 0, 65535),
      scriptPath: path(env, 'SCRIPT_PATH', '/script.js'),
      eventsPath: path(env, 'EVENTS_PATH', '/api/event'),
      trustProxy: bool(env, 'TRUST_PROXY'),
      sites: list(env, 'SITES'),
      rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 6000, 0, 100_000_000),
      keyRateLimitPerMinute: int(env, 'RATE_LIMIT_PER_KEY_PER_MINUTE', 60_000, 0, 100_000_000),
      apiToken: read(env, 'API_TOKEN') ?? null,
      backlogEvents: int(env, 'COLLECTOR_BACKLOG_EVENTS', 50_000, 100, 10_000_000),
    },
    api: {
      host: host ?? '127.0.0.1',
      port: int(env, 'API_PORT', 8081, 0, 65535),
      token: read(env, 'API_TOKEN') ?? null,
      corsOrigins: origins(env, 'API_CORS_ORIGINS'),
      trustProxy: bool(env, 'TRUST_PROXY'),
      authProxy: authProxy(env),
    },
    ingester: {
      host: host ?? '0.0.0.0',
      port: int(env, 'INGESTER_PORT', 8082, 0, 65535),
      flushIntervalMs: int(env, 'FLUSH_INTERVAL_MS', 1000, 10, 60_000),
      flushMaxRows: int(env, 'FLUSH_MAX_ROWS', 10_000, 1, 1_000_000),
    },
    clickhouse: {
      url: url(env, 'CLICKHOUSE_URL'),
      user: read(env, 'CLICKHOUSE_USER') ?? 'default',
      password: read(env, 'CLICKHOUSE_PASSWORD') ?? '',
      database: identifier(env, 'CLICKHOUSE_DATABASE', 'analytics'),
      dataDir: read(env, 'DATA_DIR') ?? './data',
      retentionDays: int(env, 'RETENTION_DAYS', 90, 1, 36_500),
      cluster: read(env, 'CLICKHOUSE_CLUSTER') === undefined ? null : identifier(env, 'CLICKHOUSE_CLUSTER', ''),
    },
    kafka: {
      brokers,
      topic: name(env, 'KAFKA_TOPIC', 'page_views'),
      dlqTopic: name(env, 'KAFKA_DLQ_TOPIC', 'page_views_dlq'),
      groupId: name(env, 'KAFKA_GROUP_ID', 'tidemark-ingester'),
      partitions: int(env, 'KAFKA_PARTITIONS', 6, 1, 10_000),
      saltsTopic: name(env, 'KAFKA_SALTS_TOPIC', 'tidemark_salts'),
    },
    logLevel,
  };
}
