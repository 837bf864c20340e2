/**
 * The site's alert rules and reports (SPEC §12): each with its state (ok, firing, resolved) and
 * since when; a rule's delivery log, and — for `sites:admin` — a "Send test notice" button.
 * Rules are created with the Alert API (docs/alerts.md). Not on a shared link (a link does not
 * reach rules); hidden when the caller may not read them. Refreshed every 30 s.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { deliveries, type Rule, type RuleKind, rules, testNotice } from '../api';
import { Forbidden } from '../auth';
import { useLoad, useSeen } from '../hooks';

const REFRESH_MS = 30_000;

/** A ClickHouse time in UTC (`YYYY-MM-DD hh:mm:ss.sss`) in the reader's local time. */
const localTime = (t: string) => new Date(`${t.replace(' ', 'T')}Z`).toLocaleString();

function describe(rule: Rule & { kind: RuleKind }): string {
  if (rule.kind === 'report') return `${rule.period} report at ${rule.at} ${rule.timezone}`;
  const metric = rule.query?.metrics[0] ?? '';
  const c = rule.condition ?? {};
  const test = c.changePct !== undefined ? `changes ${c.changePct}% against a week earlier (min ${c.minVolume})` : `${c.op} ${c.value}`;
  return `${metric} over ${rule.query?.dateRange ?? '5m'} ${test}, every ${rule.every}`;
}

export function Alerts({ site, admin }: { site: string; admin: boolean }) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => document.visibilityState !== 'hidden' && setTick((t) => t + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  // Below the fold: the rules are read once the card is scrolled into view.
  const box = useRef<HTMLElement>(null);
  const seen = useSeen(box);
  const list = useLoad(
    seen ? site : null,
    async () => {
      try {
        const [alerts, reports] = await Promise.all([rules('alert', site), rules('report', site)]);
        return [...alerts.map((r) => ({ ...r, kind: 'alert' as const })), ...reports.map((r) => ({ ...r, kind: 'report' as const }))];
      } catch (err) {
        if (err instanceof Forbidden) return null; // not this caller's to read
        throw err;
      }
    },
    tick,
  );
  const [open, setOpen] = useState<(Rule & { kind: RuleKind }) | null>(null);
  if (seen && list.data === null && !list.loading && !list.error) return null;
  const all = list.data ?? [];
  return (
    <section ref={box} class="card" id="alerts-panel" aria-labelledby="alerts-title" aria-busy={list.loading}>
      <div class="card-head">
        <h2 id="alerts-title">Alerts &amp; reports</h2>
        <a class="small" href="/openapi.json">
          Alert API
        </a>
      </div>
      <table class="rows" id="alerts">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col" class="num">
              State
            </th>
            <th scope="col" class="num">
              Since
            </th>
          </tr>
        </thead>
        <tbody>
          {all.map((r) => (
            <tr key={r.id} data-id={r.id} data-kind={r.kind}>
              <td class="label">
                <button type="button" class="link" onClick={() => setOpen(r)}>
                  {r.name} <span class="muted small">{describe(r)}</span>
                </button>
              </td>
              <td
                class={`num state ${r.state.state === 'firing' ? 'down' : ''}`}
                data-state={r.kind === 'alert' ? r.state.state : 'report'}
              >
                {r.kind === 'alert' ? r.state.state : 'report'}
              </td>
              <td class="num">{r.state.since ? localTime(r.state.since) : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && all.length === 0 && (
        <p class="muted empty">No alert rules or reports for this site: create them with the Alert API (docs/alerts.md).</p>
      )}
      {list.error && <p class="error">{list.error}</p>}
      {open && <History rule={open} admin={admin} onClose={() => setOpen(null)} />}
    </section>
  );
}

function History({ rule, admin, onClose }: { rule: Rule & { kind: RuleKind }; admin: boolean; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [tick, setTick] = useState(0);
  const [message, setMessage] = useState('');
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const log = useLoad(rule.id, () => deliveries(rule.kind, rule.id), tick);
  const send = async () => {
    setMessage('Sending…');
    try {
      await testNotice(rule.kind, rule.id);
      setMessage('Test notice sent');
    } catch (err) {
      setMessage(err instanceof Forbidden ? 'Sending a test notice needs sites:admin on this site' : (err as Error).message);
    }
    setTick((t) => t + 1);
  };
  return (
    <dialog ref={dialog} class="details" id="alert-history" aria-labelledby="alert-history-title" onClose={onClose}>
      <div class="card-head">
        <h2 id="alert-history-title">{rule.name}</h2>
        <button type="button" class="ghost" aria-label="Close" onClick={() => dialog.current?.close()}>
          ✕
        </button>
      </div>
      <p class="muted">
        {describe(rule)} · to {rule.channels.map((c) => `${c.type} ${c.target ?? ''}`.trim()).join(', ')}
      </p>
      <div class="details-tools">
        {admin && (
          <button type="button" class="ghost" onClick={() => void send()}>
            Send test notice
          </button>
        )}
        <span role="status">{message}</span>
      </div>
      <div class="details-scroll" aria-busy={log.loading}>
        <table class="rows full" id="alert-deliveries">
          <thead>
            <tr>
              <th scope="col">Notice</th>
              <th scope="col">Channel</th>
              <th scope="col" class="num">
                Attempt
              </th>
              <th scope="col">Result</th>
              <th scope="col" class="num">
                At
              </th>
            </tr>
          </thead>
          <tbody>
            {(log.data ?? []).slice(0, 50).map((d) => (
              <tr key={`${d.seq}-${d.channel}-${d.attempt}`} data-state={d.state} data-ok={d.ok ? '1' : '0'}>
                <td>{d.state}</td>
                <td>
                  {d.type} {d.target}
                </td>
                <td class="num">{d.attempt}</td>
                <td class={d.ok ? '' : 'down'}>{d.ok ? 'delivered' : d.error || `HTTP ${d.status}`}</td>
                <td class="num">{localTime(d.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {log.data && log.data.length === 0 && <p class="muted empty">Nothing delivered yet</p>}
        {log.error && <p class="error">{log.error}</p>}
      </div>
    </dialog>
  );
}
