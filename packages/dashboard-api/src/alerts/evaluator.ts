/**
 * The alert and report evaluator of one dashboard-api instance. Invariants:
 * - One instance evaluates at a time: the holder of the current lease term (`alert_lease`, a
 *   term claimed by the first insert of its token; the holder claims the next term halfway
 *   through its own, the others one second into a term nobody claimed: a dead holder is
 *   replaced within a term).
 * - A rule's state is its latest notice in ClickHouse; a change of state is a new notice with the
 *   next seq, claimed by deduplicated insert, so across restarts and racing instances each
 *   `firing` and `resolved` exists once — and only its claimant delivers it.
 * - Delivery runs beside evaluation (never awaited by the tick); a new holder first finishes
 *   the deliveries of the last day that have no final attempt (a holder that died mid-delivery).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@tidemark/shared';
import { measure, type QueryContext, type ValueCache } from './condition.ts';
import { createDelivery, type SmtpOptions } from './deliver.ts';
import { alertMessage, reportMessage } from './message.ts';
import { duePeriod, summarize } from './report.ts';
import { type AlertRule, everyMs, type ReportRule, type Rule } from './rule.ts';
import { type AlertStore, isoOf, type Notice } from './store.ts';

export interface EvaluatorOptions extends QueryContext {
  store: AlertStore;
  log: Logger;
  smtp: SmtpOptions | null;
  /** Link in notices: the dashboard's address. */
  dashboardUrl: string;
  now?: () => number;
  leaseMs?: number;
  tickMs?: number;
  /** Evaluations running at once. */
  concurrency?: number;
  delivery?: { attempts?: number; timeoutMs?: number; baseMs?: number };
  /** Told of each evaluation (seconds, whether it failed) and each notice claimed (Prometheus). */
  observe?: { evaluation(seconds: number, failed: boolean): void; notice(state: string): void; queries(count: number): void };
}

const DAY = 86_400_000;

export function createEvaluator(options: EvaluatorOptions) {
  const { store, log, now = Date.now, leaseMs = 10_000, tickMs = 1000, concurrency = 8 } = options;
  const id = randomUUID();
  const stop = new AbortController();
  const delivery = createDelivery({ store, log, smtp: options.smtp, signal: stop.signal, ...options.delivery });
  const holders = new Map<number, string>();
  const nextDue = new Map<string, number>();
  const inFlight = new Set<string>();
  const reportsSent = new Set<string>();
  const pending = new Set<Promise<unknown>>();
  let states = new Map<string, Notice>();
  let rules: Rule[] = [];
  let loadedAt = Number.NEGATIVE_INFINITY;
  let leader = false;
  let timer: NodeJS.Timeout | null = null;
  let ticking = false;
  const stats = { evaluations: 0, evaluationMs: 0, failures: 0 };

  const track = <T>(p: Promise<T>) => {
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };

  async function holderOf(term: number, at: number): Promise<string> {
    const known = holders.get(term);
    if (known !== undefined) return known;
    const holder = await store.lease(term, id, at);
    holders.set(term, holder);
    for (const t of holders.keys()) if (t < term - 2) holders.delete(t);
    return holder;
  }

  /** Whether this instance holds the lease at `at`. */
  async function lease(at: number): Promise<boolean> {
    const term = Math.floor(at / leaseMs);
    const into = at - term * leaseMs;
    let holder = holders.get(term);
    if (holder === undefined && (holders.get(term - 1) === id || into >= 1000)) holder = await holderOf(term, at);
    if (holder === id && into >= leaseMs / 2) await holderOf(term + 1, at);
    return holder === id;
  }

  function deliver(rule: Rule, notice: Notice) {
    const message =
      rule.kind === 'alert'
        ? alertMessage(rule, { ...notice, at: Date.parse(notice.at.includes('T') ? notice.at : isoOf(notice.at)) }, options.dashboardUrl)
        : null;
    if (!message) return;
    track(delivery.all(rule.id, notice, rule.channels, message));
  }

  async function recover(at: number) {
    const byId = new Map(rules.map((r) => [r.id, r]));
    for (const n of await store.unfinished(DAY, at)) {
      const rule = byId.get(n.rule_id);
      if (!rule || n.done >= rule.channels.length || n.state === 'report') continue;
      log.info({ rule: rule.id, seq: n.seq, state: n.state }, 'alert_delivery_resumed');
      deliver(rule, n);
    }
  }

  async function transition(rule: AlertRule, state: 'firing' | 'resolved', m: { value: number; threshold: number }, at: number) {
    const seq = (states.get(rule.id)?.seq ?? 0) + 1;
    const notice: Notice = {
      rule_id: rule.id,
      seq,
      state,
      value: m.value,
      threshold: m.threshold,
      at: new Date(at).toISOString(),
      claimed_by: `${id}:${randomUUID()}`,
    };
    const won = await store.claim({ ...notice, at });
    if (!won) {
      states = new Map([...states, ...(await store.latest([rule.id]))]);
      return;
    }
    states.set(rule.id, notice);
    options.observe?.notice(state);
    log.info({ rule: rule.id, site: rule.site, state, value: m.value, seq }, 'alert_state_changed');
    deliver(rule, notice);
  }

  async function evaluate(rule: AlertRule, at: number, cache: ValueCache) {
    const started = performance.now();
    try {
      const m = await measure(options, rule, at, cache);
      const firing = states.get(rule.id)?.state === 'firing';
      if (m.holds && !firing) await transition(rule, 'firing', m, at);
      else if (!m.holds && firing) await transition(rule, 'resolved', m, at);
    } catch (error) {
      stats.failures++;
      options.observe?.evaluation(0, true);
      log.warn({ rule: rule.id, err: error }, 'alert_evaluation_failed');
    } finally {
      const ms = performance.now() - started;
      stats.evaluations++;
      stats.evaluationMs += ms;
      options.observe?.evaluation(ms / 1000, false);
    }
  }

  async function report(rule: ReportRule, at: number, test = false) {
    const period = duePeriod(rule, at);
    const key = `${rule.id}:${period.key}`;
    if (!test) {
      if (period.sendAt > at || at - period.sendAt > DAY || period.sendAt < Date.parse(rule.createdAt) || reportsSent.has(key)) return;
      reportsSent.add(key);
    }
    let summary: Awaited<ReturnType<typeof summarize>>;
    try {
      summary = await summarize({ ...options, now: at }, rule, period);
    } catch (error) {
      reportsSent.delete(key); // tried again at the next tick
      throw error;
    }
    const notice = {
      rule_id: rule.id,
      seq: test ? 0 : period.key,
      state: test ? 'test' : 'report',
      value: 0,
      threshold: 0,
      claimed_by: `${id}:${randomUUID()}`,
    } as const;
    if (!test && !(await store.claim({ ...notice, at }))) return;
    return delivery.all(rule.id, notice, rule.channels, reportMessage(rule, summary, options.dashboardUrl, test), test ? 1 : undefined);
  }

  /** One round at `at`: the lease, then every rule that is due. Tests drive it with their own clock. */
  async function tick(at = now()) {
    const wasLeader = leader;
    leader = await lease(at);
    if (!leader) return;
    if (!wasLeader || at - loadedAt >= 5000) {
      [rules, states] = await Promise.all([store.rules(), store.latest()]);
      loadedAt = at;
      const ids = new Set(rules.map((r) => r.id));
      for (const key of nextDue.keys()) if (!ids.has(key)) nextDue.delete(key);
      if (!wasLeader) await recover(at);
    }
    const due = rules.filter((r): r is AlertRule => r.kind === 'alert' && !inFlight.has(r.id) && (nextDue.get(r.id) ?? 0) <= at);
    for (const rule of rules)
      if (rule.kind === 'report') track(report(rule, at).catch((err) => log.warn({ rule: rule.id, err }, 'report_failed')));
    let next = 0;
    // Rules due together that ask the same query at the same time share one answer.
    const cache: ValueCache = new Map();
    const worker = async () => {
      for (let rule = due[next++]; rule; rule = due[next++]) {
        inFlight.add(rule.id);
        nextDue.set(rule.id, at + (everyMs(rule.every) ?? 60_000));
        try {
          await evaluate(rule, at, cache);
        } finally {
          inFlight.delete(rule.id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
    options.observe?.queries(cache.size);
  }

  return {
    id,
    stats,
    tick,
    /** Whether this instance held the lease at its last tick. */
    isLeader: () => leader,
    /** A rule's current state. */
    state: (ruleId: string) => states.get(ruleId) ?? null,
    /** Forget a rule's schedule (after a change): evaluated at the next tick. */
    touch(ruleId: string) {
      nextDue.delete(ruleId);
      loadedAt = Number.NEGATIVE_INFINITY;
    },
    /** Sends a test notice (or the current report) to every channel of the rule; resolves with each channel's outcome. */
    async test(rule: Rule) {
      const at = now();
      if (rule.kind === 'report') return report(rule, at, true);
      const notice = {
        seq: 0,
        state: 'test',
        value: 0,
        threshold: 'op' in rule.condition ? rule.condition.value : rule.condition.changePct,
      };
      return delivery.all(rule.id, notice, rule.channels, alertMessage(rule, { ...notice, at }, options.dashboardUrl), 1);
    },
    /** Waits for every delivery under way. */
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    start() {
      const loop = async () => {
        if (ticking) return;
        ticking = true;
        try {
          await tick();
        } catch (error) {
          log.warn({ err: error }, 'alert_tick_failed');
        } finally {
          ticking = false;
        }
      };
      timer = setInterval(loop, tickMs);
      timer.unref();
      void loop();
    },
    async close() {
      if (timer) clearInterval(timer);
      stop.abort();
      await Promise.allSettled([...pending]);
      delivery.close();
    },
  };
}

export type Evaluator = ReturnType<typeof createEvaluator>;
