/**
 * Alerts (SPEC §9, §12), on the one-process stack: the latency from the 202 of the event that
 * makes a rule's condition hold to its webhook arriving (rules `every: 10s`, a fresh site each,
 * events sent at random moments), and what 1 000 rules checked every 10 s on one site cost:
 * evaluations per second, their mean time, and the process's CPU against its idle baseline.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { DESKTOP_UA, type Figures, percentile, progress, round } from './lib.ts';
import { startBenchStack } from './stack.ts';

const TICKS = 100; // clock ticks per second of /proc/<pid>/stat

/** CPU seconds (user + system) of `pid` and every process under it (tsx runs Node as its child). */
function cpuSeconds(pid: number): number {
  const stats = new Map<number, { ppid: number; cpu: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      stats.set(Number(entry), { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS });
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, s] of stats)
      if (!tree.has(p) && tree.has(s.ppid)) {
        tree.add(p);
        grew = true;
      }
  }
  return [...tree].reduce((sum, p) => sum + (stats.get(p)?.cpu ?? 0), 0);
}

async function metric(apiUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createRule(apiUrl: string, body: unknown): Promise<void> {
  const res = await fetch(`${apiUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`rule refused: ${res.status} ${await res.text()}`);
}

export async function benchAlerts({ quick }: { quick: boolean }): Promise<Figures> {
  const arrived = new Map<string, number>();
  const receiver = createServer((req, res) => {
    arrived.set(req.url ?? '', performance.now());
    req.resume();
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  const stack = await startBenchStack('embedded', { FLUSH_INTERVAL_MS: '250' });
  try {
    const samples = quick ? 8 : 30;
    progress(`alerts: ${samples} rules, one site each, every 10s`);
    for (let i = 0; i < samples; i++)
      await createRule(stack.apiUrl, {
        site: `s${i}.alerts.bench`,
        name: `sample ${i}`,
        query: { metrics: ['pageviews'], dateRange: '1m' },
        condition: { op: '>', value: 0 },
        every: '10s',
        channels: [{ type: 'webhook', url: `${hook}/${i}` }],
      });
    await sleep(12_000); // every rule evaluated once, empty
    const sent = new Map<string, number>();
    await Promise.all(
      Array.from({ length: samples }, async (_, i) => {
        await sleep(Math.random() * 20_000);
        const res = await fetch(`${stack.collectorUrl}/api/event`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA },
          body: JSON.stringify({ site: `s${i}.alerts.bench`, name: 'pageview', url: `https://s${i}.alerts.bench/` }),
        });
        if (res.status !== 202) throw new Error(`event refused: ${res.status}`);
        sent.set(`/${i}`, performance.now());
      }),
    );
    const deadline = performance.now() + 40_000;
    while (performance.now() < deadline && [...sent.keys()].some((k) => !arrived.has(k))) await sleep(200);
    const latencies = [...sent].map(([k, t]) => (arrived.get(k) ?? Number.POSITIVE_INFINITY) - t).sort((a, b) => a - b);
    const missing = latencies.filter((l) => !Number.isFinite(l)).length;

    const rules = 1000;
    const window = quick ? 20 : 60;
    const idle0 = cpuSeconds(stack.apiPid);
    await sleep(window * 250);
    const idleCpu = (cpuSeconds(stack.apiPid) - idle0) / (window / 4);
    progress(`alerts: creating ${rules} rules on one site`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        for (let i = next++; i < rules; i = next++)
          await createRule(stack.apiUrl, {
            site: 'cost.alerts.bench',
            name: `rule ${i}`,
            query: { metrics: ['pageviews'], dateRange: '5m', ...(i % 2 ? { filters: [['contains', 'page', [`/p${i}`]]] } : {}) },
            condition: { op: '>', value: 1_000_000 + i },
            every: '10s',
            channels: [{ type: 'webhook', url: `${hook}/cost` }],
          });
      }),
    );
    await sleep(12_000);
    progress(`alerts: measuring ${window} s of ${rules + samples} rules`);
    const [count0, sum0, queries0, cpu0] = [
      await metric(stack.apiUrl, 'tidemark_alert_evaluation_seconds_count'),
      await metric(stack.apiUrl, 'tidemark_alert_evaluation_seconds_sum'),
      await metric(stack.apiUrl, 'tidemark_alert_queries_total'),
      cpuSeconds(stack.apiPid),
    ];
    await sleep(window * 1000);
    const [count1, sum1, queries1, cpu1] = [
      await metric(stack.apiUrl, 'tidemark_alert_evaluation_seconds_count'),
      await metric(stack.apiUrl, 'tidemark_alert_evaluation_seconds_sum'),
      await metric(stack.apiUrl, 'tidemark_alert_queries_total'),
      cpuSeconds(stack.apiPid),
    ];
    const evaluations = count1 - count0;
    return {
      'alerts: latency p50 (ms)': round(percentile(latencies, 50), 0),
      'alerts: latency p95 (ms), goal < 15000': round(percentile(latencies, 95), 0),
      'alerts: latency max (ms)': round(latencies.at(-1) ?? Number.NaN, 0),
      'alerts: samples (missing)': `${latencies.length} (${missing})`,
      'alerts: 1000 rules, evaluations/s (goal 100)': round(evaluations / window, 1),
      'alerts: 1000 rules, distinct queries/s (half the rules share one)': round((queries1 - queries0) / window, 1),
      'alerts: 1000 rules, mean evaluation (ms)': round(((sum1 - sum0) / Math.max(1, evaluations)) * 1000, 1),
      'alerts: 1000 rules, CPU (% of a core; idle)': `${round(((cpu1 - cpu0) / window) * 100, 0)} (${round(idleCpu * 100, 0)})`,
    };
  } finally {
    await stack.stop();
    await new Promise((resolve) => receiver.close(resolve));
  }
}
