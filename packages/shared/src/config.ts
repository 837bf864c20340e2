/**
 * Configuration (SPEC §7): read from the environment once at start-up by one zod schema
 * (`ENV`, a line per variable), and passed in as `Config`. A bad value throws `ConfigError`,
 * one line naming the variable (its value too, unless it may hold a secret); `main` prints
 * it and exits. Adding a variable: a line in `ENV`, a field in `Config`, a line in `loadConfig`.
 */
import { z } from 'zod';
import { parseAddressRange } from './addresses.ts';
import { ConfigError } from './errors.ts';

export interface Config {
  collector: {
    host: string;
    port: number;
    scriptPath: string;
    eventsPath: string;
    trustProxy: boolean;
    /** `GEO_CITY`: region and city from the bundled DB-IP City Lite database (off: both stay ''; saves its memory). */
    geoCity: boolean;
    sites: string[] | null;
    /** Requests per client IP per minute; 0 turns the limit off. */
    rateLimitPerMinute: number;
    /** Server-side requests (SPEC §11) per API key per minute, instead of per IP; 0 turns the limit off. */
    keyRateLimitPerMinute: number;
    /** `API_TOKEN`: the bootstrap admin key, which may send server-side events (`events:write`). */
    apiToken: string | null;
    /** Events that may wait for the queue before requests get 503. */
    backlogEvents: number;
    /** `COLLECTOR_QUEUE_HOLD_MS`: how long a request may wait for the queue (a Kafka partition without a leader) before its answer. */
    queueHoldMs: number;
    /** `COLLECTOR_FAST_PATH`: serve plain event POSTs straight from the socket (docs/collector-http.md). */
    fastPath: boolean;
    /** `COLLECTOR_METRICS_HOST` / `_PORT`: where `/metrics` is served, apart from the public port. */
    metricsHost: string;
    metricsPort: number;
    /** `COLLECTOR_MAX_CONNECTIONS`: connections open at once. */
    maxConnections: number;
    /** `COLLECTOR_BUFFER_MB`, in bytes: request bytes still arriving that all connections together may hold. */
    bufferBytes: number;
  };
  api: {
    host: string;
    port: number;
    token: string | null;
    /** `API_CORS_ORIGINS`: browser origins allowed to call the Stats API (`*` for any); unset → none. */
    corsOrigins: string[] | null;
    /** `SMTP_URL` (`smtp://user:pass@host:587`, STARTTLS; `smtps://` for TLS from the start): alert and report e-mail; unset → no e-mail. */
    smtpUrl: string | null;
    /** `SMTP_FROM`: the sender of alert and report e-mail. */
    smtpFrom: string;
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
    /** `KAFKA_CLIENT`: the Kafka client library (docs/kafka-client.md). */
    client: 'kafkajs' | 'platformatic';
    /** `KAFKA_REPLICATION_FACTOR` of the topics Tidemark creates; null: 3 on a cluster of 3 or more brokers, else 1. */
    replicationFactor: number | null;
    /** `KAFKA_MIN_INSYNC_REPLICAS` of those topics; null: 2 with replication 3 or more, else 1. */
    minInsyncReplicas: number | null;
    /** `KAFKA_PRODUCERS`: idempotent producers per collector, each visitor pinned to one (docs/kafka-client.md). */
    producers: number;
  };
  logLevel: string;
}

type Env = Record<string, string | undefined>;

/** Unset and blank are the same: the default applies. */
const blank = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.output<T>) =>
  z.preprocess(blank, schema.optional()).transform((v) => (v === undefined ? fallback : v) as z.output<T>);

const int = (fallback: number, min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return withDefault(z.string().regex(/^\d+$/, message).transform(Number).pipe(z.number().min(min, message).max(max, message)), fallback);
};
/** An integer, or null when unset (the default is decided later, e.g. from the Kafka cluster's size). */
const optionalInt = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return optional(z.string().regex(/^\d+$/, message).transform(Number).pipe(z.number().min(min, message).max(max, message))).transform(
    (v) => v ?? null,
  );
};
const bool = (fallback: boolean) =>
  withDefault(
    z
      .string()
      .toLowerCase()
      .pipe(z.enum(['true', '1', 'yes', 'false', '0', 'no'], 'must be true or false'))
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
    fallback,
  );
const urlPath = (fallback: string) =>
  withDefault(
    z
      .string()
      .regex(/^\/[A-Za-z0-9._~\-/]*$/, 'must be a URL path starting with /')
      .refine((v) => !v.includes('//'), 'must be a URL path starting with /'),
    fallback,
  );
/** A Kafka topic or group name. */
const name = (fallback: string) =>
  withDefault(z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1-249 characters of [A-Za-z0-9._-]'), fallback);
const IDENTIFIER = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be an identifier of [A-Za-z0-9_]');
/** A comma-separated list, lower-cased, each item checked by `item`. */
const list = (item: z.ZodString = z.string()) =>
  optional(
    z
      .string()
      .transform((raw) =>
        raw
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(item).min(1, 'must be a comma-separated list')),
  ).transform((v) => v ?? null);
const httpUrl = optional(
  z
    .string()
    .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), 'must be an http(s) URL')
    // Credentials in the URL would end up in logs and start-up output: they have variables of their own.
    .refine((v) => {
      const { username, password } = new URL(v);
      return !username && !password;
    }, 'must not contain credentials: use CLICKHOUSE_USER and CLICKHOUSE_PASSWORD')
    .transform((v) => v.replace(/\/+$/, '')),
).transform((v) => v ?? null);
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Headers the proxy sign-in may not name: each means something else to the API. */
const RESERVED_HEADERS = ['authorization', 'cookie', 'host', 'x-forwarded-for'];

/** Every variable, with its rule and default (SPEC §7). */
const ENV = z
  .object({
    HOST: optional(z.string()),
    COLLECTOR_PORT: int(8080, 0, 65535),
    API_PORT: int(8081, 0, 65535),
    INGESTER_PORT: int(8082, 0, 65535),
    SCRIPT_PATH: urlPath('/script.js'),
    EVENTS_PATH: urlPath('/api/event'),
    TRUST_PROXY: bool(false),
    GEO_CITY: bool(true),
    SITES: list(),
    RATE_LIMIT_PER_MINUTE: int(6000, 0, 100_000_000),
    RATE_LIMIT_PER_KEY_PER_MINUTE: int(60_000, 0, 100_000_000),
    COLLECTOR_BACKLOG_EVENTS: int(50_000, 100, 10_000_000),
    COLLECTOR_QUEUE_HOLD_MS: int(30_000, 100, 600_000),
    COLLECTOR_FAST_PATH: bool(true),
    COLLECTOR_METRICS_HOST: withDefault(z.string(), '127.0.0.1'),
    COLLECTOR_METRICS_PORT: int(8083, 0, 65535),
    COLLECTOR_MAX_CONNECTIONS: int(10_000, 1, 1_000_000),
    COLLECTOR_BUFFER_MB: int(64, 1, 65_536),
    API_TOKEN: optional(z.string()).transform((v) => v ?? null),
    AUTH_PROXY_HEADER: optional(
      z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name')
        .toLowerCase()
        .refine((v) => !RESERVED_HEADERS.includes(v), 'must be a header of its own, like X-Forwarded-User'),
    ),
    AUTH_PROXY_CIDRS: list(z.string().refine((v) => parseAddressRange(v) !== null, 'must be addresses or CIDR ranges like 10.0.0.0/8')),
    API_CORS_ORIGINS: list(z.string().regex(/^(\*|https?:\/\/[a-z0-9.-]+(:\d{1,5})?)$/, 'must be * or origins like https://example.com')),
    SMTP_URL: optional(z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be smtp://[user:pass@]host[:port] or smtps://…')).transform(
      (v) => v ?? null,
    ),
    SMTP_FROM: withDefault(
      z.string().regex(/^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/, 'must be an e-mail address'),
      'tidemark@localhost',
    ),
    FLUSH_INTERVAL_MS: int(1000, 10, 60_000),
    FLUSH_MAX_ROWS: int(10_000, 1, 1_000_000),
    CLICKHOUSE_URL: httpUrl,
    CLICKHOUSE_USER: withDefault(z.string(), 'default'),
    CLICKHOUSE_PASSWORD: withDefault(z.string(), ''),
    CLICKHOUSE_DATABASE: withDefault(IDENTIFIER, 'analytics'),
    CLICKHOUSE_CLUSTER: optional(IDENTIFIER).transform((v) => v ?? null),
    DATA_DIR: withDefault(z.string(), './data'),
    RETENTION_DAYS: int(90, 1, 36_500),
    KAFKA_BROKERS: list(z.string().regex(/^[a-z0-9.-]+:\d{1,5}$/, 'must be host:port pairs, separated by commas')),
    KAFKA_TOPIC: name('page_views'),
    KAFKA_DLQ_TOPIC: name('page_views_dlq'),
    KAFKA_GROUP_ID: name('tidemark-ingester'),
    KAFKA_PARTITIONS: int(6, 1, 10_000),
    KAFKA_SALTS_TOPIC: name('tidemark_salts'),
    KAFKA_CLIENT: withDefault(z.enum(['kafkajs', 'platformatic'], 'must be kafkajs or platformatic'), 'kafkajs'),
    KAFKA_REPLICATION_FACTOR: optionalInt(1, 32),
    KAFKA_MIN_INSYNC_REPLICAS: optionalInt(1, 32),
    KAFKA_PRODUCERS: int(1, 1, 16),
    LOG_LEVEL: withDefault(
      z
        .string()
        .toLowerCase()
        .pipe(z.enum(LEVELS, `must be one of ${LEVELS.join(', ')}`)),
      'info',
    ),
  })
  // Sign-in through a reverse proxy needs both: the header naming the user, and who may send it.
  .superRefine((e, ctx) => {
    if (e.AUTH_PROXY_HEADER !== undefined && e.AUTH_PROXY_CIDRS === null)
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_PROXY_CIDRS'],
        message: 'must be set with AUTH_PROXY_HEADER: the addresses of the proxy, e.g. 127.0.0.1/32',
      });
    if (e.AUTH_PROXY_HEADER === undefined && e.AUTH_PROXY_CIDRS !== null)
      ctx.addIssue({ code: 'custom', path: ['AUTH_PROXY_HEADER'], message: 'must be set with AUTH_PROXY_CIDRS (e.g. X-Forwarded-User)' });
  });

/** Variables whose value may be a secret: an error names them without their value. */
const SECRET = new Set(['API_TOKEN', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'SMTP_URL']);

/** Reads and checks every variable; the first bad one throws a `ConfigError` of one line naming it. */
export function loadConfig(env: Env = process.env): Config {
  const parsed = ENV.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'environment');
    const raw = env[key]?.trim();
    throw new ConfigError(`${key}${SECRET.has(key) || raw === undefined ? '' : `=${raw}`} ${issue?.message ?? 'is invalid'}`);
  }
  const e = parsed.data;
  return {
    collector: {
      host: e.HOST ?? '0.0.0.0',
      port: e.COLLECTOR_PORT,
      scriptPath: e.SCRIPT_PATH,
      eventsPath: e.EVENTS_PATH,
      trustProxy: e.TRUST_PROXY,
      geoCity: e.GEO_CITY,
      sites: e.SITES,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      keyRateLimitPerMinute: e.RATE_LIMIT_PER_KEY_PER_MINUTE,
      apiToken: e.API_TOKEN,
      backlogEvents: e.COLLECTOR_BACKLOG_EVENTS,
      queueHoldMs: e.COLLECTOR_QUEUE_HOLD_MS,
      fastPath: e.COLLECTOR_FAST_PATH,
      metricsHost: e.COLLECTOR_METRICS_HOST,
      metricsPort: e.COLLECTOR_METRICS_PORT,
      maxConnections: e.COLLECTOR_MAX_CONNECTIONS,
      bufferBytes: e.COLLECTOR_BUFFER_MB * 1024 * 1024,
    },
    api: {
      host: e.HOST ?? '127.0.0.1',
      port: e.API_PORT,
      token: e.API_TOKEN,
      corsOrigins: e.API_CORS_ORIGINS,
      smtpUrl: e.SMTP_URL,
      smtpFrom: e.SMTP_FROM,
      trustProxy: e.TRUST_PROXY,
      authProxy:
        e.AUTH_PROXY_HEADER === undefined || e.AUTH_PROXY_CIDRS === null
          ? null
          : { header: e.AUTH_PROXY_HEADER, cidrs: e.AUTH_PROXY_CIDRS },
    },
    ingester: { host: e.HOST ?? '0.0.0.0', port: e.INGESTER_PORT, flushIntervalMs: e.FLUSH_INTERVAL_MS, flushMaxRows: e.FLUSH_MAX_ROWS },
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      dataDir: e.DATA_DIR,
      retentionDays: e.RETENTION_DAYS,
      cluster: e.CLICKHOUSE_CLUSTER,
    },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      topic: e.KAFKA_TOPIC,
      dlqTopic: e.KAFKA_DLQ_TOPIC,
      groupId: e.KAFKA_GROUP_ID,
      partitions: e.KAFKA_PARTITIONS,
      saltsTopic: e.KAFKA_SALTS_TOPIC,
      client: e.KAFKA_CLIENT,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: e.KAFKA_MIN_INSYNC_REPLICAS,
      producers: e.KAFKA_PRODUCERS,
    },
    logLevel: e.LOG_LEVEL,
  };
}
