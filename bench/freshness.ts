/**
 * End-to-end freshness under load: while a load generator in its own process (autocannon)
 * posts a steady stream of events, sample events are posted to sites of their own, and the
 * time from each sample's 202 to its visibility in /api/v1/live is measured.
 */
import { join } from 'node:path';
import { DESKTOP_UA, type Figures, percentile, progress, ROOT, round, startChild } from './lib.ts';
import { startBenchStack } from './stack.ts';

export interface FreshnessOptions {
  mode: 'embedded' | 'distributed';
  rate: number;
  seconds: number;
  flushIntervalMs: number;
  /** More SPEC §7 variables for the stack (e.g. `KAFKA_PARTITIONS`). */
  env?: Record<string, string>;
  /** Names the figures (default: the mode). */
  label?: string;
}

const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');

export async function benchFreshness({ mode, rate, seconds, flushIntervalMs, env = {}, label = mode }: FreshnessOptions): Promise<Figures> {
  const stack = await startBenchStack(mode, { FLUSH_INTERVAL_MS: String(flushIntervalMs), ...env });
  try {
    const body = JSON.stringify({
      site: 'load.bench',
      name: 'pageview',
      url: 'https://load.bench/pricing?utm_source=news',
      referrer: 'https://www.google.com/',
    });
    const load = startChild(
      process.execPath,
      [
        AUTOCANNON,
        '-c',
        '128', // each request waits for the queue's acknowledgement: enough in flight for the rate
        '-d',
        String(seconds),
        '-R',
        String(rate),
        '-m',
        'POST',
        '-H',
        'Content-Type=text/plain',
        '-H',
        `User-Agent=${DESKTOP_UA}`,
        '-b',
        body,
        '-j',
        `${stack.collectorUrl}/api/event`,
      ],
      {},
    );
    const exited = new Promise<void>((resolve) => load.child.once('exit', () => resolve()));
    const latencies: number[] = [];
    let timeouts = 0;
    let failed = 0;
    const pending: Promise<void>[] = [];
    const started = Date.now();
    for (let i = 0; Date.now() - started < seconds * 1000 - 2000; i++) {
      const site = `s${i}.fresh.bench`;
      pending.push(
        (async () => {
          const res = await fetch(`${stack.collectorUrl}/api/event`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA },
            body: JSON.stringify({ site, name: 'pageview', url: `https://${site}/` }),
          });
          if (res.status !== 202) {
            failed++;
            return;
          }
          const accepted = performance.now();
          while (performance.now() - accepted < 30_000) {
            const live = await fetch(`${stack.apiUrl}/api/v1/live?site=${site}&window=5m`).then(
              (r) => r.json() as Promise<{ views?: number }>,
            );
            if ((live.views ?? 0) >= 1) {
              latencies.push(performance.now() - accepted);
              return;
            }
            await new Promise((r) => setTimeout(r, 25));
          }
          timeouts++;
        })().catch(() => {
          failed++;
        }),
      );
      if (i % 20 === 0)
        progress(`freshness ${label}: ${Math.round((Date.now() - started) / 1000)}/${seconds}s, ${latencies.length} samples seen`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await Promise.all(pending);
    await exited;
    const summary = JSON.parse(
      load
        .output()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop() ?? '{}',
    ) as {
      requests?: { average?: number };
      non2xx?: number;
      errors?: number;
      latency?: { p99?: number };
    };
    latencies.sort((a, b) => a - b);
    return {
      [`${label} load (req/s achieved)`]: round(summary.requests?.average ?? Number.NaN, 0),
      [`${label} load non-2xx`]: (summary.non2xx ?? 0) + (summary.errors ?? 0),
      [`${label} samples`]: latencies.length,
      [`${label} freshness p50 (ms)`]: round(percentile(latencies, 50), 0),
      [`${label} freshness p95 (ms)`]: round(percentile(latencies, 95), 0),
      [`${label} freshness p99 (ms)`]: round(percentile(latencies, 99), 0),
      [`${label} samples not visible in 30 s`]: timeouts + failed,
      [`${label} FLUSH_INTERVAL_MS`]: flushIntervalMs,
    };
  } finally {
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const mode = (process.argv[2] as 'embedded' | 'distributed' | undefined) ?? 'embedded';
  const env = Object.fromEntries(process.argv.slice(5).map((kv) => kv.split('=') as [string, string]));
  benchFreshness({ mode, rate: 5000, seconds: Number(process.argv[3] ?? 20), flushIntervalMs: Number(process.argv[4] ?? 250), env }).then(
    (f) => console.table(f),
  );
}
