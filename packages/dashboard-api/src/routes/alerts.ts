/**
 * The Alert API (SPEC §12) and its report twin: `GET|POST /api/v2/alerts`, `GET|DELETE
 * /api/v2/alerts/{id}`, `GET /api/v2/alerts/{id}/deliveries`, `POST /api/v2/alerts/{id}/test`,
 * and the same under `/api/v2/reports`. Answers never carry a channel's secret.
 */
import { randomUUID } from 'node:crypto';
import { ValidationError } from '@tidemark/shared';
import type { Context, Hono } from 'hono';
import { measure, type QueryContext } from '../alerts/condition.ts';
import type { Evaluator } from '../alerts/evaluator.ts';
import { everyMs, parseAlert, parseReport, type Rule, redact } from '../alerts/rule.ts';
import type { AlertStore } from '../alerts/store.ts';
import { jsonBody } from './body.ts';

export interface AlertsContext extends QueryContext {
  store: AlertStore;
  evaluator: Evaluator;
  smtp: boolean;
  now: () => number;
  siteTimezone: (site: string) => string | null;
  /** Whether the caller may manage this site's rules (`sites:admin` for it). */
  allowed?: (c: Context, site: string) => boolean;
}

/** A rule's evaluation may take at most this share of its interval when it is created (the faster of two tries: a busy moment is not the rule's cost). */
const MAX_SHARE = 0.5;

export function mountAlerts(api: Hono, context: AlertsContext): void {
  const { store, evaluator } = context;
  const allowed = context.allowed ?? (() => true);
  const find = async (c: Context, kind: Rule['kind']) => {
    const rule = (await store.rules()).find((r) => r.id === c.req.param('id') && r.kind === kind);
    return rule && allowed(c, rule.site) ? rule : null;
  };
  const forbidden = (c: Context, site: string) => c.json({ error: `no sites:admin access to ${site}` }, 403);

  for (const kind of ['alert', 'report'] as const) {
    const base = `/${kind}s`;
    api.get(base, async (c) => {
      const site = c.req.query('site');
      const list = (await store.rules()).filter((r) => r.kind === kind && (!site || r.site === site) && allowed(c, r.site));
      const states = await store.latest(list.map((r) => r.id));
      return c.json({ [`${kind}s`]: list.map((r) => ({ ...redact(r), state: stateOf(states.get(r.id)) })) });
    });
    api.post(base, async (c) => {
      const body = await jsonBody(c);
      const options = { smtp: context.smtp, now: context.now(), id: randomUUID() };
      const rule =
        kind === 'alert'
          ? parseAlert(body, options)
          : parseReport(body, { ...options, siteTimezone: context.siteTimezone(String((body as { site?: unknown }).site ?? '')) });
      if (!allowed(c, rule.site)) return forbidden(c, rule.site);
      if (rule.kind === 'alert') {
        // Refuse a rule whose evaluation is too heavy for its interval, measured once here.
        const interval = everyMs(rule.every) ?? 60_000;
        const timed = async () => {
          const started = performance.now();
          await measure(context, rule, context.now());
          return performance.now() - started;
        };
        let took = await timed();
        if (took > interval * MAX_SHARE) took = Math.min(took, await timed());
        if (took > interval * MAX_SHARE)
          throw new ValidationError(
            `query: too heavy for its interval: one evaluation took ${Math.round(took)} ms, more than ${MAX_SHARE * 100} % of ${rule.every}; use a shorter dateRange or a longer every`,
            '/every',
          );
      }
      await store.saveRule(rule);
      evaluator.touch(rule.id);
      return c.json(redact(rule), 201);
    });
    api.get(`${base}/:id`, async (c) => {
      const rule = await find(c, kind);
      if (!rule) return c.json({ error: `no such ${kind}` }, 404);
      const history = await store.notices(rule.id, 50);
      return c.json({ ...redact(rule), state: stateOf((await store.latest([rule.id])).get(rule.id)), history });
    });
    api.delete(`${base}/:id`, async (c) => {
      const rule = await find(c, kind);
      if (!rule) return c.json({ error: `no such ${kind}` }, 404);
      await store.deleteRule(rule);
      evaluator.touch(rule.id);
      return c.body(null, 204);
    });
    api.get(`${base}/:id/deliveries`, async (c) => {
      const rule = await find(c, kind);
      if (!rule) return c.json({ error: `no such ${kind}` }, 404);
      return c.json({ deliveries: await store.deliveries(rule.id, 200) });
    });
    api.post(`${base}/:id/test`, async (c) => {
      const rule = await find(c, kind);
      if (!rule) return c.json({ error: `no such ${kind}` }, 404);
      const outcomes = await evaluator.test(rule);
      return c.json({ sent: true, ...(outcomes ? { channels: outcomes.map((o, i) => ({ channel: i, ...o })) } : {}) });
    });
  }
}

function stateOf(notice: { state: string; seq: number; value: number; at: string } | undefined) {
  return notice
    ? { state: notice.state, since: notice.at, value: notice.value, seq: notice.seq }
    : { state: 'ok', since: null, value: null, seq: 0 };
}
