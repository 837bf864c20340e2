/**
 * Whether an alert's condition holds now: its query's one metric through the Query API's engine
 * (the same numbers as the dashboard), against a threshold, or against the same span a week
 * earlier — a change of at least `changePct` (a drop when negative) while the larger of the two
 * values reaches `minVolume`. From nothing to something is an unbounded rise.
 */
import type { ClickHouseClient } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { resolveRange } from '../v2/dates.ts';
import { runQuery } from '../v2/engine.ts';
import type { GoalLookup } from '../v2/goals.ts';
import type { Query } from '../v2/parse.ts';
import { type AlertRule, alertQuery } from './rule.ts';

const WEEK = 7 * 86_400_000;

export interface QueryContext {
  client: ClickHouseClient;
  tables: Tables;
  retentionDays: number;
  goals?: GoalLookup;
  siteTimezone?: (site: string) => string | null;
}

export interface Measure {
  value: number;
  /** The value a week earlier (change rules). */
  previous: number | null;
  /** Percent change against a week earlier (change rules; Infinity from 0). */
  change: number | null;
  holds: boolean;
  /** The threshold or the change in percent the rule asks for. */
  threshold: number;
}

/** Values already asked for in one round (rules sharing a query and time share its answer), by query and time. */
export type ValueCache = Map<string, Promise<number>>;

function metricValue(context: QueryContext, query: Query, now: number, cache?: ValueCache): Promise<number> {
  if (!cache) return runValue(context, query, now);
  const key = `${now}:${JSON.stringify(query)}`;
  let value = cache.get(key);
  if (!value) {
    value = runValue(context, query, now);
    cache.set(key, value);
  }
  return value;
}

async function runValue(context: QueryContext, query: Query, now: number): Promise<number> {
  const answer = await runQuery(context.client, context.tables, query, {
    now,
    retentionDays: context.retentionDays,
    maxExecutionSeconds: 10,
    ...(context.goals ? { goals: context.goals } : {}),
  });
  return Number(answer.totals[0] ?? 0);
}

export async function measure(context: QueryContext, rule: AlertRule, now: number, cache?: ValueCache): Promise<Measure> {
  const query = alertQuery(rule, context.siteTimezone);
  const c = rule.condition;
  if ('op' in c) {
    const value = await metricValue(context, query, now, cache);
    return { value, previous: null, change: null, holds: c.op === '>' ? value > c.value : value < c.value, threshold: c.value };
  }
  const span = resolveRange(query.dateRange, query.timezone, now);
  const iso = (ms: number) => new Date(ms).toISOString();
  const before: Query = { ...query, dateRange: [iso(span.from - WEEK), iso(span.to - WEEK - 1)] };
  const [value, previous] = await Promise.all([metricValue(context, query, now, cache), metricValue(context, before, now, cache)]);
  const change = previous === 0 ? (value > 0 ? Number.POSITIVE_INFINITY : 0) : ((value - previous) / previous) * 100;
  const volume = Math.max(value, previous) >= c.minVolume;
  const holds = volume && (c.changePct > 0 ? change >= c.changePct : change <= c.changePct);
  return { value, previous, change: Number.isFinite(change) ? Math.round(change * 10) / 10 : change, holds, threshold: c.changePct };
}
