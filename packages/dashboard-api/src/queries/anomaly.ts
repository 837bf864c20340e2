import type { ClickHouseClient } from '@tidemark/shared';
import { rows, splitRange } from './range.ts';
import type { Tables } from './tables.ts';

export interface PeriodViews {
  currentViews: number;
  previousViews: number;
}

const WEEK_MS = 7 * 86_400_000;
const HOUR_MS = 3_600_000;

/** This hour so far, and the same elapsed span of the same hour 7 days earlier (never the full hour). */
export function anomalyPeriods(now: number): { current: { from: Date; to: Date }; previous: { from: Date; to: Date } } {
  const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
  return {
    current: { from: new Date(hourStart), to: new Date(now) },
    previous: { from: new Date(hourStart - WEEK_MS), to: new Date(now - WEEK_MS) },
  };
}

function prefixed(prefix: 'c' | 'p', range: { from: Date; to: Date }): Record<string, string> {
  const split = splitRange(range.from, range.to);
  return {
    [`${prefix}From`]: split.from,
    [`${prefix}To`]: split.to,
    [`${prefix}WholeFrom`]: split.wholeFrom,
    [`${prefix}WholeTo`]: split.wholeTo,
  };
}

const T = "DateTime64(3, 'UTC')";

/** Pageviews of both periods in one query: whole minutes from the rollup, edges from the raw table. */
export async function queryAnomaly(client: ClickHouseClient, tables: Tables, site: string, now: number): Promise<PeriodViews> {
  const { current, previous } = anomalyPeriods(now);
  const whole = (p: string) => `minute >= {${p}WholeFrom:${T}} AND minute < {${p}WholeTo:${T}}`;
  const edges = (p: string) =>
    `((timestamp >= {${p}From:${T}} AND timestamp < {${p}WholeFrom:${T}}) OR (timestamp >= {${p}WholeTo:${T}} AND timestamp <= {${p}To:${T}}))`;
  const query = `
    SELECT sumIf(v, period = 'c') AS currentViews, sumIf(v, period = 'p') AS previousViews
    FROM (
      SELECT if(${whole('c')}, 'c', 'p') AS period, views AS v
      FROM ${tables.eventsMinute}
      WHERE site = {site:String} AND ((${whole('c')}) OR (${whole('p')}))
      UNION ALL
      SELECT if(${edges('c')}, 'c', 'p'), 1
      FROM ${tables.events}
      WHERE site = {site:String} AND name = 'pageview' AND (${edges('c')} OR ${edges('p')})
      LIMIT 1 BY event_id
    )`;
  const [row] = await rows<Record<keyof PeriodViews, string | number>>(client, query, {
    site,
    ...prefixed('c', current),
    ...prefixed('p', previous),
  });
  return { currentViews: Number(row?.currentViews ?? 0), previousViews: Number(row?.previousViews ?? 0) };
}
