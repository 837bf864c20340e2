/**
 * Funnels in the reference (SPEC §12): for each visitor (per site), the deepest step k such that
 * some events e1 … ek complete steps 1 … k with strictly increasing times and tk − t1 ≤ within,
 * all inside the range. For a fixed first event, taking each next step's earliest completion
 * leaves the most room, so trying every first event finds the deepest chain.
 */
import type { StoredEvent } from '@tidemark/shared';
import { resolveRange } from '../../packages/dashboard-api/src/v2/dates.ts';
import { type FunnelQuery, funnelSteps } from '../../packages/dashboard-api/src/v2/funnel.ts';
import type { GoalLookup } from '../../packages/dashboard-api/src/v2/goals.ts';
import { goalsOf } from './goals.ts';
import { holds } from './query.ts';
import type { RefVisit } from './visits.ts';

const timeOf = (e: StoredEvent) => Date.parse(`${e.timestamp.replace(' ', 'T')}Z`);

export function referenceFunnel(all: readonly StoredEvent[], q: FunnelQuery, now: number, lookup: GoalLookup = () => null) {
  const span = resolveRange(q.dateRange, q.timezone, now);
  const unique = new Map<string, StoredEvent>();
  for (const e of all) if (q.sites.includes(e.site) && !unique.has(e.event_id)) unique.set(e.event_id, e);
  const byVisitor = new Map<string, { t: number; steps: boolean[] }[]>();
  for (const e of unique.values()) {
    const t = timeOf(e);
    if (t < span.from || t >= span.to || e.name === 'engagement') continue;
    const v = { site: e.site } as RefVisit;
    const steps = q.steps.map((s) => holds(s.filter, e, v, (x, site) => goalsOf(x, site, lookup)));
    const key = `${e.site}\0${e.visitor_id}`;
    byVisitor.set(key, [...(byVisitor.get(key) ?? []), { t, steps }]);
  }
  const byLevel = new Map<number, number>();
  for (const events of byVisitor.values()) {
    events.sort((a, b) => a.t - b.t);
    let deepest = 0;
    for (const start of events) {
      if (!start.steps[0]) continue;
      let level = 1;
      let last = start.t;
      for (const e of events) {
        if (level === q.steps.length) break;
        if (e.t > last && e.t - start.t <= q.withinMs && e.steps[level]) {
          level++;
          last = e.t;
        }
      }
      deepest = Math.max(deepest, level);
    }
    if (deepest > 0) byLevel.set(deepest, (byLevel.get(deepest) ?? 0) + 1);
  }
  return funnelSteps(q, byLevel);
}
