/**
 * Each service's copy of the settings tables (SPEC §11: "each service caches it and sees a
 * change within 5 s"). It reads them all at start, then asks every `refreshMs` (1 s) for a
 * signature of the tables (one small query) and reads them again when it changed. The
 * instance that made a change reloads at once (`refresh()`), so it reads its own writes.
 * If ClickHouse cannot be read the last copy stays in use and the failure is logged; tables
 * that do not exist yet (the ingester has not migrated) read as empty.
 *
 * Key uses are counted in memory and written every `usesFlushMs` (5 s), never per request.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../logger.ts';
import { type AccessStore, createAccessStore, type Records, type Table } from './store.ts';
import type { ApiKey, Session, SharedLink, Site, User } from './types.ts';

export interface AccessSnapshot {
  /** False until the tables were read once. */
  loaded: boolean;
  sites: ReadonlyMap<string, Site>;
  keys: ReadonlyMap<string, ApiKey>;
  keysByHash: ReadonlyMap<string, ApiKey>;
  links: ReadonlyMap<string, SharedLink>;
  users: ReadonlyMap<string, User>;
  sessions: ReadonlyMap<string, Session>;
  /** Umami website id → site (SPEC §13). */
  umamiSites: ReadonlyMap<string, string>;
}

export interface AccessRegistryOptions {
  client: ClickHouseClient;
  database: string;
  log: Logger;
  refreshMs?: number;
  usesFlushMs?: number;
  now?: () => number;
}

export interface AccessRegistry {
  store: AccessStore;
  current(): AccessSnapshot;
  /** The first read (a failure is logged and retried by the poller), then polling. */
  start(): Promise<void>;
  /** Reads every table now (after a change made here). */
  refresh(): Promise<void>;
  /** Called with each new snapshot. */
  onChange(listener: (snapshot: AccessSnapshot) => void): void;
  /** Notes that a key was used (written within `usesFlushMs`). */
  keyUsed(id: string): void;
  /** Key uses not written yet. */
  pendingKeyUses(): ReadonlyMap<string, number>;
  /** Stops polling and writes the pending key uses. */
  close(): Promise<void>;
}

/** Nothing known yet (before the first read), or `fields` only (tests). */
export function emptySnapshot(fields: Partial<AccessSnapshot> = {}): AccessSnapshot {
  return {
    loaded: false,
    sites: new Map(),
    keys: new Map(),
    keysByHash: new Map(),
    links: new Map(),
    users: new Map(),
    sessions: new Map(),
    umamiSites: new Map(),
    ...fields,
  };
}

/** ClickHouse codes for a table or database that does not exist (yet). */
const MISSING = new Set(['60', '81']);

function isMissing(error: unknown): boolean {
  return MISSING.has(String((error as { code?: unknown }).code));
}

export function createAccessRegistry({
  client,
  database,
  log,
  refreshMs = 1000,
  usesFlushMs = 5000,
  now = Date.now,
}: AccessRegistryOptions): AccessRegistry {
  const store = createAccessStore(client, database, now);
  let snapshot = emptySnapshot();
  let signature = '';
  let timer: NodeJS.Timeout | null = null;
  let usesTimer: NodeJS.Timeout | null = null;
  let closed = false;
  let failing = false;
  let loading: Promise<void> | null = null;
  const listeners: ((s: AccessSnapshot) => void)[] = [];
  let uses = new Map<string, number>();

  const list = async <T extends Table>(table: T): Promise<Records[T][]> => {
    try {
      return await store.list(table);
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  };

  async function load(): Promise<void> {
    const [sites, keys, links, users, sessions] = await Promise.all([
      list('sites'),
      list('apiKeys'),
      list('sharedLinks'),
      list('users'),
      list('sessions'),
    ]);
    const at = now();
    snapshot = {
      loaded: true,
      sites: new Map(sites.map((s) => [s.site, s])),
      keys: new Map(keys.map((k) => [k.id, k])),
      keysByHash: new Map(keys.map((k) => [k.hash, k])),
      links: new Map(links.map((l) => [l.slug, l])),
      users: new Map(users.map((u) => [u.user, u])),
      sessions: new Map(sessions.filter((s) => Date.parse(s.expiresAt) > at).map((s) => [s.idHash, s])),
      umamiSites: new Map(sites.flatMap((s) => (s.umamiWebsiteId ? [[s.umamiWebsiteId, s.site] as const] : []))),
    };
    for (const listener of listeners) listener(snapshot);
  }

  async function currentSignature(): Promise<string> {
    try {
      return await store.signature();
    } catch (error) {
      if (isMissing(error)) return 'missing';
      throw error;
    }
  }

  /** One poll: reload when the signature moved (or always, when `force`). */
  function poll(force: boolean): Promise<void> {
    if (loading) return force ? loading.then(() => poll(true)) : loading;
    loading = (async () => {
      try {
        const next = await currentSignature();
        if (force || next !== signature || !snapshot.loaded) {
          await load();
          signature = next;
        }
        if (failing) log.info('access_registry_recovered');
        failing = false;
      } catch (error) {
        if (!failing) log.warn({ err: error }, 'access_registry_unreadable');
        failing = true;
        if (force) throw error;
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => {
      poll(false).finally(schedule);
    }, refreshMs);
    timer.unref();
  }

  async function flushUses(): Promise<void> {
    if (uses.size === 0) return;
    const batch = uses;
    uses = new Map();
    try {
      await store.recordKeyUses(batch);
    } catch (error) {
      // Kept for the next flush (merged with newer uses) rather than lost.
      for (const [id, ms] of batch) if ((uses.get(id) ?? 0) < ms) uses.set(id, ms);
      log.warn({ err: error }, 'key_uses_unwritten');
    }
  }

  return {
    store,
    current: () => snapshot,
    async start() {
      await poll(false);
      schedule();
      usesTimer = setInterval(() => void flushUses(), usesFlushMs);
      usesTimer.unref();
    },
    refresh: () => poll(true),
    onChange(listener) {
      listeners.push(listener);
    },
    keyUsed(id) {
      uses.set(id, now());
    },
    pendingKeyUses: () => uses,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (usesTimer) clearInterval(usesTimer);
      await loading?.catch(() => {});
      await flushUses();
    },
  };
}
