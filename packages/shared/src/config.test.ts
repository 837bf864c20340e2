import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { ConfigError } from './errors.ts';

describe('loadConfig', () => {
  it('has the defaults of SPEC §7', () => {
    const config = loadConfig({});
    expect(config.collector).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      scriptPath: '/script.js',
      eventsPath: '/api/event',
      trustProxy: false,
      geoCity: true,
      sites: null,
    });
    expect(config.api).toMatchObject({ host: '127.0.0.1', port: 8081, token: null });
    expect(config.ingester).toMatchObject({ port: 8082, flushIntervalMs: 1000, flushMaxRows: 10_000 });
    expect(config.clickhouse).toMatchObject({ url: null, database: 'analytics', dataDir: './data', retentionDays: 90 });
    expect(config.kafka).toMatchObject({
      brokers: null,
      topic: 'page_views',
      dlqTopic: 'page_views_dlq',
      groupId: 'tidemark-ingester',
      partitions: 6,
    });
  });

  it('reads the collector settings (rate limit, backlog, salts topic)', () => {
    expect(loadConfig({}).collector).toMatchObject({ rateLimitPerMinute: 6000, backlogEvents: 50_000 });
    expect(loadConfig({}).kafka.saltsTopic).toBe('tidemark_salts');
    const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '0', COLLECTOR_BACKLOG_EVENTS: '1000', KAFKA_SALTS_TOPIC: 'salts_x' });
    expect(config.collector).toMatchObject({ rateLimitPerMinute: 0, backlogEvents: 1000 });
    expect(config.kafka.saltsTopic).toBe('salts_x');
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => loadConfig({ COLLECTOR_BACKLOG_EVENTS: '5' })).toThrow(/COLLECTOR_BACKLOG_EVENTS/);
    expect(() => loadConfig({ KAFKA_SALTS_TOPIC: 'bad topic' })).toThrow(/KAFKA_SALTS_TOPIC/);
  });

  it('gives the collector API_TOKEN and the per-key rate limit of server-side requests', () => {
    expect(loadConfig({}).collector).toMatchObject({ apiToken: null, keyRateLimitPerMinute: 60_000 });
    const config = loadConfig({ API_TOKEN: 's3cret', RATE_LIMIT_PER_KEY_PER_MINUTE: '10' });
    expect(config.collector).toMatchObject({ apiToken: 's3cret', keyRateLimitPerMinute: 10 });
    expect(config.api.token).toBe('s3cret');
    expect(() => loadConfig({ RATE_LIMIT_PER_KEY_PER_MINUTE: 'many' })).toThrow(/RATE_LIMIT_PER_KEY_PER_MINUTE/);
  });

  it('reads lists and flags', () => {
    const config = loadConfig({
      SITES: 'A.com, b.org',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      TRUST_PROXY: 'true',
      CLICKHOUSE_URL: 'http://ch:8123/',
    });
    expect(config.collector.sites).toEqual(['a.com', 'b.org']);
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.collector.trustProxy).toBe(true);
    expect(config.clickhouse.url).toBe('http://ch:8123');
    expect(loadConfig({ GEO_CITY: 'false' }).collector.geoCity).toBe(false);
    expect(() => loadConfig({ GEO_CITY: 'sometimes' })).toThrow(/GEO_CITY/);
  });

  it.each([
    ['COLLECTOR_PORT', 'eighty'],
    ['API_PORT', '70000'],
    ['FLUSH_MAX_ROWS', '0'],
    ['TRUST_PROXY', 'maybe'],
    ['CLICKHOUSE_URL', 'ch:8123'],
    ['CLICKHOUSE_URL', 'http://admin:secret@ch:8123'],
    ['CLICKHOUSE_DATABASE', 'drop table;'],
    ['KAFKA_BROKERS', 'no-port'],
    ['KAFKA_TOPIC', 'bad topic'],
    ['SCRIPT_PATH', 'script.js'],
    ['LOG_LEVEL', 'loud'],
    ['RETENTION_DAYS', '-1'],
  ])('rejects %s=%s with one line naming it', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`^${key}`));
  });

  it('reads sign-in through a proxy: the header and the proxy addresses, both or neither', () => {
    expect(loadConfig({}).api.authProxy).toBeNull();
    expect(loadConfig({ AUTH_PROXY_HEADER: 'X-Forwarded-User', AUTH_PROXY_CIDRS: '10.0.0.0/8, 127.0.0.1' }).api.authProxy).toEqual({
      header: 'x-forwarded-user',
      cidrs: ['10.0.0.0/8', '127.0.0.1'],
    });
    expect(() => loadConfig({ AUTH_PROXY_HEADER: 'X-Forwarded-User' })).toThrow(/AUTH_PROXY_CIDRS must be set/);
    expect(() => loadConfig({ AUTH_PROXY_CIDRS: '10.0.0.0/8' })).toThrow(/AUTH_PROXY_HEADER must be set/);
    expect(() => loadConfig({ AUTH_PROXY_HEADER: 'X Bad', AUTH_PROXY_CIDRS: '10.0.0.0/8' })).toThrow(/AUTH_PROXY_HEADER/);
    expect(() => loadConfig({ AUTH_PROXY_HEADER: 'Authorization', AUTH_PROXY_CIDRS: '10.0.0.0/8' })).toThrow(/a header of its own/);
    expect(() => loadConfig({ AUTH_PROXY_HEADER: 'X-User', AUTH_PROXY_CIDRS: '10.0.0.0/33' })).toThrow(
      /AUTH_PROXY_CIDRS=10\.0\.0\.0\/33 must be addresses or CIDR ranges/,
    );
    expect(loadConfig({ TRUST_PROXY: 'true' }).api.trustProxy).toBe(true);
  });
});

describe('loadConfig errors', () => {
  it('say the value, except for variables that may hold a secret', () => {
    expect(() => loadConfig({ COLLECTOR_PORT: 'eighty' })).toThrow('COLLECTOR_PORT=eighty must be an integer from 0 to 65535');
    expect(() => loadConfig({ CLICKHOUSE_URL: 'http://admin:secret@ch:8123' })).toThrow(
      /^CLICKHOUSE_URL must not contain credentials: use CLICKHOUSE_USER and CLICKHOUSE_PASSWORD$/,
    );
    expect(() => loadConfig({ KAFKA_BROKERS: 'k1:9092, no-port' })).toThrow('KAFKA_BROKERS=k1:9092, no-port must be host:port pairs');
    expect(() => loadConfig({ API_CORS_ORIGINS: 'ftp://x' })).toThrow(/^API_CORS_ORIGINS=ftp:\/\/x must be \* or origins/);
    expect(() => loadConfig({ SITES: ' , ' })).toThrow(/^SITES=, must be a comma-separated list/);
  });

  it('take blank values for unset, and values with surrounding spaces', () => {
    const config = loadConfig({ COLLECTOR_PORT: '  ', LOG_LEVEL: ' DEBUG ', TRUST_PROXY: 'Yes', CLICKHOUSE_CLUSTER: 'c1' });
    expect(config.collector.port).toBe(8080);
    expect(config.logLevel).toBe('debug');
    expect(config.collector.trustProxy).toBe(true);
    expect(config.clickhouse.cluster).toBe('c1');
    expect(loadConfig({}).clickhouse.cluster).toBeNull();
    expect(loadConfig({ API_CORS_ORIGINS: '*, https://a.example:8443' }).api.corsOrigins).toEqual(['*', 'https://a.example:8443']);
  });
});
