/** Data hooks: a Query API answer that refetches when its body or the live tick changes; the live stream. */
import type { RefObject } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type Answer, type Freshness, type QueryBody, query, freshness as readFreshness } from './api';
import { openStream } from './auth';
import { batchedStarts } from './starts';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/** Pending queries, for tests and the bench (`document.body.dataset.pending`): 0 is a settled page. */
let pending = 0;
let onSettled: (() => void)[] = [];
function track(delta: number): void {
  pending += delta;
  document.body.dataset.pending = String(pending);
  if (pending === 0) for (const f of onSettled.splice(0)) f();
}

/**
 * Calls `f` once the loads now pending (at least one) have all answered: what the first view
 * does not show waits for it (the embedded engine answers one query after another).
 */
export function afterSettled(f: () => void): () => void {
  onSettled.push(f);
  return () => {
    onSettled = onSettled.filter((g) => g !== f);
  };
}

/**
 * A commit's loads start together once its layout effects have run, those marked `first` (the top
 * numbers, the chart) before the rest, whatever the order of the components' effects (a child's
 * run before its parent's): a filter click's panels are sent in the same task as the numbers, not
 * a commit and a frame later (issue 18).
 */
const schedule = batchedStarts();

/**
 * Something loaded for `key` (null: nothing to load), again when `key` or `tick` changes; counted
 * in the page's pending loads. A new key's answer is not the old key's: nothing stale shows. Sent
 * as the commit that asks for it is made (a layout effect), not after the next frame; `first`:
 * before the other loads of that commit.
 */
export function useLoad<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>, tick = 0, first = false): Loaded<T> {
  const [state, setState] = useState<Loaded<T> & { key: string }>({ data: null, error: null, loading: true, key: '' });
  useLayoutEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    track(1);
    let done = false;
    schedule(first, () => {
      if (controller.signal.aborted) {
        done = true;
        track(-1);
        return;
      }
      load(controller.signal)
        .then(
          (data) => setState({ data, error: null, loading: false, key }),
          (error: Error) => {
            if (!controller.signal.aborted) setState({ data: null, error: error.message, loading: false, key });
          },
        )
        .finally(() => {
          done = true;
          track(-1);
        });
    });
    // The same key asked again (a live tick): loading, its answer kept meanwhile. A new key shows
    // as loading already (below): no render of its own before the loads are sent.
    if (state.key === key) setState((s) => ({ ...s, loading: true }));
    return () => {
      if (!done) controller.abort();
    };
  }, [key, tick]);
  return state.key === key ? state : { data: null, error: null, loading: key !== null };
}

/**
 * Whether the element has been on screen (and stays true once it has): what is below the fold
 * asks its queries when it is scrolled into view, so the first view's queries are the engine's
 * only work at first render (bench/dashboard.ts).
 */
export function useSeen(ref: RefObject<Element | null>): boolean {
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (seen || !el) return;
    // Seen: at least its head (40 px) on screen, not a border at the bottom edge.
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        observer.disconnect();
        setSeen(true);
      },
      { rootMargin: '0px 0px -40px 0px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [seen]);
  return seen;
}

/** A Query API answer for `body`, asked again on each live tick; `first`: before the other queries of its commit. */
export function useQuery(body: QueryBody | null, tick: number, first = false): Loaded<Answer> {
  return useLoad(body ? JSON.stringify(body) : null, (signal) => query(body as QueryBody, signal), tick, first);
}

export interface Live {
  /** Bumps when new data landed for the site (at most once a second). */
  tick: number;
  /** Visitors of the last 5 minutes, from the stream. */
  current: number | null;
  freshness: Freshness | null;
  connected: boolean;
}

/**
 * `/api/v1/stream` of the site: a new tick whenever the stored numbers change, and the data lag.
 * The first message of each connection (the first open, a reconnect after an error, the tab shown
 * again) is a tick too: what landed between the view's answers and that message, or while the
 * stream was down, would otherwise wait for the next change. The stream is closed while the tab is
 * hidden or in the back-forward cache (a browser holds at most 6 HTTP/1.1 connections to a host:
 * open streams in background tabs would starve the rest) and opened again when the tab shows.
 */
export function useLive(site: string, enabled: boolean, ready = true): Live {
  const [live, setLive] = useState<Live>({ tick: 0, current: null, freshness: null, connected: false });
  /** The last message's numbers; '' until the connection's first message (which always ticks). */
  const last = useRef('');
  useEffect(() => {
    if (!site || !ready) return;
    last.current = '';
    let stop: (() => void) | null = null;
    const refreshFreshness = () =>
      readFreshness(site).then(
        (f) => setLive((l) => ({ ...l, freshness: f })),
        () => {},
      );
    const open = () => {
      if (stop) return;
      stop = openStream(
        `/api/v1/stream?site=${encodeURIComponent(site)}&window=5m`,
        (data) => {
          const d = data as { views: number; visitors: number; avgDurationMs: number };
          const signature = `${d.views}/${d.visitors}/${d.avgDurationMs}`;
          const changed = last.current !== signature;
          last.current = signature;
          setLive((l) => ({ ...l, current: d.visitors, connected: true, tick: changed && enabled ? l.tick + 1 : l.tick }));
          void refreshFreshness();
        },
        () => {
          // EventSource reconnects by itself: its first message afterwards refreshes the view.
          last.current = '';
          setLive((l) => ({ ...l, connected: false }));
        },
      );
    };
    const close = () => {
      stop?.();
      stop = null;
      setLive((l) => ({ ...l, connected: false }));
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') return close();
      last.current = '';
      open();
    };
    const onShow = (e: PageTransitionEvent) => e.persisted && onVisibility();
    // The freshness is read on each stream message (the first comes as the stream opens), and every
    // 5 s besides: no request of its own at first render, where the engine has queries enough.
    if (document.visibilityState !== 'hidden') open();
    const timer = setInterval(() => document.visibilityState !== 'hidden' && refreshFreshness(), 5000);
    document.addEventListener('visibilitychange', onVisibility);
    addEventListener('pagehide', close);
    addEventListener('pageshow', onShow);
    return () => {
      close();
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
      removeEventListener('pagehide', close);
      removeEventListener('pageshow', onShow);
    };
  }, [site, enabled, ready]);
  return live;
}
