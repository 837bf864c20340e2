/**
 * The Alert API (SPEC §12) and its report twin: `GET|POST /api/v2/alerts`, `GET|DELETE
 * /api/v2/alerts/{id}`, `GET /api/v2/alerts/{id}/deliveries`, `POST /api/v2/alerts/{id}/test`,
 * and the same under `/api/v2/reports`.
 *
 * Who (SPEC §11's scopes, as the admin API): reading rules, their state, history and deliveries
 * needs `stats:read` on the rule's site; creating, deleting and test notices need `sites:admin`
 * on it (and are in the audit log): a rule of a site the caller lacks the scope on is a 403, as
 * the admin API's sites are. A shared link never reaches them. Answers never carry a channel's secret, and a webhook's URL only to
 * `sites:admin` on the site.
 */
import { randomUUID } from 'node:crypto';
import { ValidationError } from '@tidemark/shared';
import type { Hono, MiddlewareHandler } from 'hono';
import { type AdminContext, audit } from '../admin/common.ts';
import { measure, type QueryContext } from '../alerts/condition.ts';
import type { Evaluator } from '../alerts/evaluator.ts';
import { everyMs, parseAlert, parseReport, type Rule, redact, underQuery } from '../alerts/rule.ts';
import type { AlertStore } from '../alerts/store.ts';
import type { ApiContext, ApiEnv } from '../auth/context.ts';
import { AccessDenied, type Guard } from '../auth/guard.ts';
import { parseSite } from '../params.ts';
import { QueryTimeoutError } from '../v2/engine.ts';
import { jsonBody } from './body.ts';

export interface AlertsContext extends QueryContext {
  store: AlertStore;
  evaluator: Evaluator;
  smtp: boolean;
  now: () => number;
  siteTimezone: (site: string) => string | null;
  guard: Guard;
  admin: AdminContext;
}

/** A rule's evaluation may take at most this share of its interval when it is created (the faster of two tries: a busy moment is not the rule's cost). */
const MAX_SHARE = 0.5;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function mountAlerts(api: Hono<ApiEnv>, context: AlertsContext): void {
  const { store, evaluator, guard, admin } = context;
  const holds = (c: ApiContext, scope: 'stats:read' | 'sites:admin', site: string) => {
    const sites = guard.sites(c, scope);
    return sites === 'all' || sites.includes(site);
  };
  // A shared link reads one site's stats, never its settings: refused before the scope check.
  const noLinks: MiddlewareHandler<ApiEnv> = async (c, next) => {
    if (c.var.auth.principal.kind === 'share') throw new AccessDenied('a shared link does not reach alert rules or reports', 403);
    return next();
  };
  const readers = [noLinks, guard.scope('stats:read')] as const;
  const admins = [noLinks, guard.scope('sites:admin')] as const;
  /** The rule of the path, once the caller holds `scope` on its site (else a 403); null when there is none. */
  const find = async (c: ApiContext, kind: Rule['kind'], scope: 'stats:read' | 'sites:admin') => {
    const id = c.req.param('id') ?? '';
    const rule = ID.test(id) ? (await store.rules()).find((r) => r.id === id && r.kind === kind) : undefined;
    if (rule) guard.site(c, scope, rule.site);
    return rule ?? null;
  };
  const view = (c: ApiContext, rule: Rule) => redact(rule, holds(c, 'sites:admin', rule.site));

  for (const kind of ['alert', 'report'] as const) {
    const base = `/${kind}s`;
    const missing = (c: ApiContext) => c.json({ error: `no such ${kind}` }, 404);
    api.get(base, ...readers, async (c) => {
      const given = c.req.query('site');
      const site = given === undefined ? null : parseSite(given);
      if (site !== null) guard.site(c, 'stats:read', site);
      const list = (await store.rules()).filter(
        (r) => r.kind === kind && (site === null || r.site === site) && holds(c, 'stats:read', r.site),
      );
      const states = await store.latest(list.map((r) => r.id));
      return c.json({ [`${kind}s`]: list.map((r) => ({ ...view(c, r), state: stateOf(states.get(r.id)) })) });
    });
    api.post(base, ...admins, async (c) => {
      const body = await jsonBody(c);
      const options = { smtp: context.smtp, now: context.now(), id: randomUUID() };
      const rule =
        kind === 'alert'
          ? parseAlert(body, options)
          : parseReport(body, { ...options, siteTimezone: context.siteTimezone(String(siteOf(body) ?? '')) });
      guard.site(c, 'sites:admin', rule.site);
      if (rule.kind === 'alert') {
        // Refuse a rule whose evaluation is too heavy for its interval, measured once here.
        const interval = everyMs(rule.every) ?? 60_000;
        const timed = async () => {
          const started = performance.now();
          try {
            await measure(context, rule, context.now());
          } catch (error) {
            if (error instanceof QueryTimeoutError) return Number.POSITIVE_INFINITY;
            throw underQuery(error); // e.g. RE2 refusing a `matches` pattern: a 400 pointing into the rule's query
          }
          return performance.now() - started;
        };
        let took = await timed();
        if (took > interval * MAX_SHARE) took = Math.min(took, await timed());
        if (took > interval * MAX_SHARE)
          throw new ValidationError(
            `query: too heavy for its interval: one evaluation took ${Number.isFinite(took) ? Math.round(took) : 'over the time limit of'} ms, more than ${MAX_SHARE * 100} % of ${rule.every}; use a shorter dateRange or a longer every`,
            '/every',
          );
      }
      await store.saveRule(rule);
      await audit(c, admin, `${kind}.create`, { site: rule.site, target: rule.id, details: { name: rule.name } });
      evaluator.touch(rule.id);
      return c.json(view(c, rule), 201);
    });
    api.get(`${base}/:id`, ...readers, async (c) => {
      const rule = await find(c, kind, 'stats:read');
      if (!rule) return missing(c);
      const history = await store.notices(rule.id, 50);
      return c.json({ ...view(c, rule), state: stateOf((await store.latest([rule.id])).get(rule.id)), history });
    });
    api.delete(`${base}/:id`, ...admins, async (c) => {
      const rule = await find(c, kind, 'sites:admin');
      if (!rule) return missing(c);
      await store.deleteRule(rule);
      await audit(c, admin, `${kind}.delete`, { site: rule.site, target: rule.id, details: { name: rule.name } });
      evaluator.touch(rule.id);
      return c.body(null, 204);
    });
    api.get(`${base}/:id/deliveries`, ...readers, async (c) => {
      const rule = await find(c, kind, 'stats:read');
      if (!rule) return missing(c);
      return c.json({ deliveries: await store.deliveries(rule.id, 200) });
    });
    api.post(`${base}/:id/test`, ...admins, async (c) => {
      const rule = await find(c, kind, 'sites:admin');
      if (!rule) return missing(c);
      let outcomes: Awaited<ReturnType<Evaluator['test']>>;
      try {
        outcomes = await evaluator.test(rule);
      } catch (error) {
        if (error instanceof QueryTimeoutError) return c.json({ error: error.message }, 503, { 'Retry-After': '10' });
        throw error;
      }
      return c.json({ sent: true, ...(outcomes ? { channels: outcomes.map((o, i) => ({ channel: i, ...o })) } : {}) });
    });
  }
}

/** The `site` of a body that may be anything (its parser says what is wrong with it). */
const siteOf = (body: unknown) => (typeof body === 'object' && body !== null ? (body as { site?: unknown }).site : undefined);

function stateOf(notice: { state: string; seq: number; value: number; at: string } | undefined) {
  return notice
    ? { state: notice.state, since: notice.at, value: notice.value, seq: notice.seq }
    : { state: 'ok', since: null, value: null, seq: 0 };
}
