/**
 * Alert rules, notices, deliveries and the lease in ClickHouse (clickhouse/020_alerts.sql; no
 * second datastore). Claims (`claim`) are inserts with a deduplication token: ClickHouse keeps
 * the first insert of a token, so reading the row back tells each racer whether it won.
 */
import { type ClickHouseClient, TABLES, toClickHouseTime } from '@tidemark/shared';
import type { Rule } from './rule.ts';

export interface Notice {
  rule_id: string;
  seq: number;
  state: 'firing' | 'resolved' | 'report' | 'test';
  value: number;
  threshold: number;
  at: string;
  claimed_by: string;
}

export interface Delivery {
  rule_id: string;
  seq: number;
  state: string;
  channel: number;
  type: string;
  target: string;
  attempt: number;
  ok: number;
  final: number;
  status: number;
  error: string;
  duration_ms: number;
  at: string;
}

export const isoOf = (t: string) => `${t.replace(' ', 'T')}Z`;

export interface AlertStore {
  saveRule(rule: Rule): Promise<void>;
  deleteRule(rule: Rule): Promise<void>;
  rules(): Promise<Rule[]>;
  /** The latest notice of each rule (its state), by rule id. */
  latest(ids?: string[]): Promise<Map<string, Notice>>;
  /** Inserts the notice unless one with the same (rule, seq) exists; true when this caller's row is the one kept. */
  claim(notice: Omit<Notice, 'at'> & { at: number }): Promise<boolean>;
  notices(ruleId: string, limit: number): Promise<Notice[]>;
  logDelivery(d: Omit<Delivery, 'at'> & { at: number }): Promise<void>;
  deliveries(ruleId: string, limit: number): Promise<Delivery[]>;
  /** Notices of the last `sinceMs` whose delivery to some channel has no final attempt yet (for a new evaluator to finish). */
  unfinished(sinceMs: number, now: number): Promise<(Notice & { done: number })[]>;
  /** Claims lease `term` for `holder`; answers the term's holder. */
  lease(term: number, holder: string, now: number): Promise<string>;
}

export function createAlertStore(client: ClickHouseClient, database: string): AlertStore {
  const t = (name: keyof typeof TABLES) => `${database}.${TABLES[name]}`;
  const rows = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> =>
    (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
  const dedup = (token: string) => ({ insert_deduplication_token: token, insert_deduplicate: 1 as const });
  let version = 0;
  const nextVersion = () => {
    version = Math.max(version + 1, Date.now() * 1000);
    return version;
  };
  const writeRule = (rule: Rule, deleted: 0 | 1) =>
    client.insert({
      table: t('alertRules'),
      values: [
        {
          id: rule.id,
          kind: rule.kind,
          site: rule.site,
          version: nextVersion(),
          deleted,
          definition: JSON.stringify(rule),
          created_at: toClickHouseTime(Date.parse(rule.createdAt)),
        },
      ],
      format: 'JSONEachRow',
    });
  const toNotice = (r: Record<string, unknown>): Notice => ({
    ...(r as unknown as Notice),
    seq: Number(r.seq),
    value: Number(r.value),
    threshold: Number(r.threshold),
  });

  return {
    async saveRule(rule) {
      await writeRule(rule, 0);
    },
    async deleteRule(rule) {
      await writeRule(rule, 1);
    },
    async rules() {
      const list = await rows<{ definition: string }>(
        `SELECT argMax(definition, version) AS definition, argMax(deleted, version) AS gone FROM ${t('alertRules')} GROUP BY id HAVING gone = 0`,
      );
      return list.map((r) => JSON.parse(r.definition) as Rule);
    },
    async latest(ids) {
      const list = await rows<Record<string, unknown>>(
        `SELECT rule_id, max(seq) AS s, argMax(state, seq) AS st, argMax(value, seq) AS v, argMax(threshold, seq) AS th,
                argMax(at, seq) AS t, argMax(claimed_by, seq) AS c
         FROM (SELECT * FROM ${t('alertNotices')} WHERE state IN ('firing', 'resolved') ${ids ? 'AND rule_id IN {ids:Array(String)}' : ''})
         GROUP BY rule_id`,
        ids ? { ids } : {},
      );
      const renamed = list.map((r) => ({
        rule_id: r.rule_id,
        seq: r.s,
        state: r.st,
        value: r.v,
        threshold: r.th,
        at: r.t,
        claimed_by: r.c,
      }));
      return new Map(renamed.map((r) => [String(r.rule_id), toNotice(r)]));
    },
    async claim(notice) {
      const token = `${notice.rule_id}:${notice.seq}`;
      await client.insert({
        table: t('alertNotices'),
        values: [{ ...notice, at: toClickHouseTime(notice.at) }],
        format: 'JSONEachRow',
        clickhouse_settings: dedup(token),
      });
      const [kept] = await rows<{ claimed_by: string }>(
        `SELECT claimed_by FROM ${t('alertNotices')} WHERE rule_id = {id:String} AND seq = {seq:UInt64} LIMIT 1`,
        { id: notice.rule_id, seq: notice.seq },
      );
      return kept?.claimed_by === notice.claimed_by;
    },
    async notices(ruleId, limit) {
      const list = await rows<Record<string, unknown>>(
        `SELECT * FROM ${t('alertNotices')} WHERE rule_id = {id:String} ORDER BY at DESC, seq DESC LIMIT {limit:UInt32}`,
        { id: ruleId, limit },
      );
      return list.map(toNotice);
    },
    async logDelivery(d) {
      await client.insert({ table: t('alertDeliveries'), values: [{ ...d, at: toClickHouseTime(d.at) }], format: 'JSONEachRow' });
    },
    async deliveries(ruleId, limit) {
      const list = await rows<Delivery>(
        `SELECT * FROM ${t('alertDeliveries')} WHERE rule_id = {id:String} ORDER BY at DESC LIMIT {limit:UInt32}`,
        { id: ruleId, limit },
      );
      return list.map((d) => ({ ...d, seq: Number(d.seq) }));
    },
    async unfinished(sinceMs, now) {
      const list = await rows<Record<string, unknown>>(
        `SELECT n.*, d.done AS done FROM ${t('alertNotices')} AS n
         LEFT JOIN (SELECT rule_id, seq, state, uniqExact(channel) AS done FROM ${t('alertDeliveries')}
                    WHERE final = 1 AND at >= {since:DateTime64(3, 'UTC')} GROUP BY rule_id, seq, state) AS d
           ON n.rule_id = d.rule_id AND n.seq = d.seq AND n.state = d.state
         WHERE n.at >= {since:DateTime64(3, 'UTC')}
         ORDER BY n.at`,
        { since: toClickHouseTime(now - sinceMs) },
      );
      return list.map((r) => ({ ...toNotice(r), done: Number(r.done ?? 0) }));
    },
    async lease(term, holder, now) {
      await client.insert({
        table: t('alertLease'),
        values: [{ term, holder, at: toClickHouseTime(now) }],
        format: 'JSONEachRow',
        clickhouse_settings: dedup(`lease:${term}`),
      });
      const [kept] = await rows<{ holder: string }>(
        `SELECT holder FROM ${t('alertLease')} WHERE term = {term:UInt64} ORDER BY at LIMIT 1`,
        {
          term,
        },
      );
      return kept?.holder ?? '';
    },
  };
}
