/**
 * The settings tables of SPEC §11 (clickhouse/006_access.sql): every read and write of them.
 * Rows are versioned (ReplacingMergeTree): a change inserts the whole record again with a
 * higher version, a removal inserts it with `deleted = 1`, and reads take the newest row per
 * key. A writer's version is its clock, but never below the newest version already stored for
 * that key plus one, so a later change wins even when instances' clocks disagree.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { toClickHouseTime } from '../event.ts';
import type { Scope } from '../keys.ts';
import { TABLES } from '../names.ts';
import type { ApiKey, Goal, Role, Session, SharedLink, Site, User } from './types.ts';

export type Table = 'sites' | 'apiKeys' | 'sharedLinks' | 'users' | 'sessions';
const KEY_COLUMN: Record<Table, string> = { sites: 'site', apiKeys: 'id', sharedLinks: 'slug', users: 'user', sessions: 'id_hash' };
const COLUMNS: Record<Table, string> = {
  sites:
    'site, timezone, hostnames, exclude_ips, exclude_paths, exclude_countries, goals, umami_website_id, public, created_at, updated_at, version',
  apiKeys: 'id, name, prefix, hash, scopes, sites, created_at, created_by, version',
  sharedLinks: 'slug, site, name, password_hash, filters, frame_ancestors, created_at, created_by, version',
  users: 'user, role, sites, created_at, created_by, version',
  sessions: 'id_hash, subject, created_at, expires_at, version',
};

type Row = Record<string, unknown>;

/** ClickHouse DateTime64 text → ISO 8601. */
const iso = (value: unknown) => `${String(value).replace(' ', 'T')}Z`;
const chTime = (isoText: string) => toClickHouseTime(Date.parse(isoText));
const strings = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);

function json<T>(text: unknown, fallback: T): T {
  try {
    return typeof text === 'string' && text !== '' ? (JSON.parse(text) as T) : fallback;
  } catch {
    return fallback;
  }
}

export const fromRow = {
  sites: (r: Row): Site => ({
    site: String(r.site),
    timezone: String(r.timezone),
    hostnames: strings(r.hostnames),
    exclude: { ips: strings(r.exclude_ips), paths: strings(r.exclude_paths), countries: strings(r.exclude_countries) },
    goals: json<Goal[]>(r.goals, []),
    umamiWebsiteId: r.umami_website_id ? String(r.umami_website_id) : null,
    public: Number(r.public) === 1,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    version: Number(r.version),
  }),
  apiKeys: (r: Row): ApiKey => ({
    id: String(r.id),
    name: String(r.name),
    prefix: String(r.prefix),
    hash: String(r.hash),
    scopes: strings(r.scopes) as Scope[],
    sites: strings(r.sites),
    createdAt: iso(r.created_at),
    createdBy: String(r.created_by),
    version: Number(r.version),
  }),
  sharedLinks: (r: Row): SharedLink => ({
    slug: String(r.slug),
    site: String(r.site),
    name: String(r.name),
    passwordHash: String(r.password_hash),
    filters: json<unknown[]>(r.filters, []),
    frameAncestors: strings(r.frame_ancestors),
    createdAt: iso(r.created_at),
    createdBy: String(r.created_by),
    version: Number(r.version),
  }),
  users: (r: Row): User => ({
    user: String(r.user),
    role: String(r.role) as Role,
    sites: strings(r.sites),
    createdAt: iso(r.created_at),
    createdBy: String(r.created_by),
    version: Number(r.version),
  }),
  sessions: (r: Row): Session => ({
    idHash: String(r.id_hash),
    subject: String(r.subject),
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    version: Number(r.version),
  }),
};

export interface Records {
  sites: Site;
  apiKeys: ApiKey;
  sharedLinks: SharedLink;
  users: User;
  sessions: Session;
}

const toRow: { [T in Table]: (record: Records[T]) => Row } = {
  sites: (s) => ({
    site: s.site,
    timezone: s.timezone,
    hostnames: s.hostnames,
    exclude_ips: s.exclude.ips,
    exclude_paths: s.exclude.paths,
    exclude_countries: s.exclude.countries,
    goals: JSON.stringify(s.goals),
    umami_website_id: s.umamiWebsiteId ?? '',
    public: s.public ? 1 : 0,
    created_at: chTime(s.createdAt),
    updated_at: chTime(s.updatedAt),
  }),
  apiKeys: (k) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    hash: k.hash,
    scopes: k.scopes,
    sites: k.sites,
    created_at: chTime(k.createdAt),
    created_by: k.createdBy,
  }),
  sharedLinks: (l) => ({
    slug: l.slug,
    site: l.site,
    name: l.name,
    password_hash: l.passwordHash,
    filters: JSON.stringify(l.filters),
    frame_ancestors: l.frameAncestors,
    created_at: chTime(l.createdAt),
    created_by: l.createdBy,
  }),
  users: (u) => ({ user: u.user, role: u.role, sites: u.sites, created_at: chTime(u.createdAt), created_by: u.createdBy }),
  sessions: (s) => ({ id_hash: s.idHash, subject: s.subject, created_at: chTime(s.createdAt), expires_at: chTime(s.expiresAt) }),
};

export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  site: string;
  target: string;
  details: Record<string, unknown>;
  ip: string;
}

export interface AccessStore {
  database: string;
  /** Changes whenever any settings table gets a row (and when merges drop some). */
  signature(): Promise<string>;
  /** The live records of a table (newest version per key, removals left out). */
  list<T extends Table>(table: T): Promise<Records[T][]>;
  /** One live record read from storage now, or null. */
  get<T extends Table>(table: T, key: string): Promise<Records[T] | null>;
  /** Stores a new version of a record (or its removal); answers the version written. */
  put<T extends Table>(table: T, record: Records[T], options?: { deleted?: boolean }): Promise<number>;
  recordKeyUses(uses: ReadonlyMap<string, number>): Promise<void>;
  lastKeyUses(): Promise<Map<string, string>>;
  audit(entry: AuditEntry): Promise<void>;
  auditLog(query: { limit: number; before: string | null; site: string | null }): Promise<AuditEntry[]>;
}

export function createAccessStore(client: ClickHouseClient, database: string, now: () => number = Date.now): AccessStore {
  const table = (t: Table | 'apiKeyUses' | 'auditLog') => `${database}.${TABLES[t]}`;
  const rows = async (query: string, params: Record<string, unknown> = {}) => {
    const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
    return result.json<Row>();
  };
  const latest = (t: Table, where: string) =>
    `SELECT ${COLUMNS[t]} FROM (SELECT ${COLUMNS[t]}, deleted FROM ${table(t)} FINAL ${where}) WHERE deleted = 0`;

  return {
    database,
    async signature() {
      const tables: Table[] = ['sites', 'apiKeys', 'sharedLinks', 'users', 'sessions'];
      const query = tables.map((t) => `SELECT '${t}' AS t, count() AS n, sum(version) AS v FROM ${table(t)}`).join(' UNION ALL ');
      const found = await rows(query);
      return found
        .map((r) => `${r.t}:${r.n}:${r.v}`)
        .sort()
        .join(',');
    },
    async list(t) {
      return (await rows(latest(t, ''))).map((r) => fromRow[t](r) as Records[typeof t]);
    },
    async get(t, key) {
      const [row] = await rows(latest(t, `WHERE ${KEY_COLUMN[t]} = {key:String}`), { key });
      return row === undefined ? null : (fromRow[t](row) as Records[typeof t]);
    },
    async put(t, record, { deleted = false } = {}) {
      const key = (toRow[t] as (r: Records[typeof t]) => Row)(record);
      const [stored] = await rows(`SELECT max(version) AS v FROM ${table(t)} WHERE ${KEY_COLUMN[t]} = {key:String}`, {
        key: key[KEY_COLUMN[t]],
      });
      const version = Math.max(now(), Number(stored?.v ?? 0) + 1);
      await client.insert({ table: table(t), values: [{ ...key, version, deleted: deleted ? 1 : 0 }], format: 'JSONEachRow' });
      return version;
    },
    async recordKeyUses(uses) {
      if (uses.size === 0) return;
      const values = [...uses].map(([key_id, ms]) => ({ key_id, used_at: toClickHouseTime(ms) }));
      await client.insert({ table: table('apiKeyUses'), values, format: 'JSONEachRow' });
    },
    async lastKeyUses() {
      const found = await rows(`SELECT key_id, max(used_at) AS used_at FROM ${table('apiKeyUses')} GROUP BY key_id`);
      return new Map(found.map((r) => [String(r.key_id), iso(r.used_at)]));
    },
    async audit(entry) {
      await client.insert({
        table: table('auditLog'),
        values: [{ ...entry, at: chTime(entry.at), details: JSON.stringify(entry.details) }],
        format: 'JSONEachRow',
      });
    },
    async auditLog({ limit, before, site }) {
      const found = await rows(
        `SELECT at, actor, action, site, target, details, ip FROM ${table('auditLog')}
         WHERE at < {before:DateTime64(3, 'UTC')} ${site === null ? '' : 'AND site = {site:String}'}
         ORDER BY at DESC LIMIT {limit:UInt32}`,
        { before: before === null ? toClickHouseTime(now() + 60_000) : chTime(before), site: site ?? '', limit },
      );
      return found.map((r) => ({
        at: iso(r.at),
        actor: String(r.actor),
        action: String(r.action),
        site: String(r.site),
        target: String(r.target),
        details: json<Record<string, unknown>>(r.details, {}),
        ip: String(r.ip),
      }));
    },
  };
}
