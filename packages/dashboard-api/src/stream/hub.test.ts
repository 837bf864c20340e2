import { plainLogger } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { createStreamHub } from './hub.ts';

const decoder = new TextDecoder();

async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  let text = '';
  while (!text.includes('event: live')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended');
    text += decoder.decode(value);
  }
  return text;
}

describe('stream hub', () => {
  it('runs one query per tick for all subscribers of a site and sends changes', async () => {
    let views = 0;
    const perSite = new Map<string, number>();
    const hub = createStreamHub({
      log: plainLogger(),
      tickMs: 100, // 50 ticks would take 5 s: the bound below holds on a slow machine too
      async read(site) {
        perSite.set(site, (perSite.get(site) ?? 0) + 1);
        return { data: { site, views }, signature: String(views) };
      },
    });
    const readers = Array.from({ length: 50 }, () => hub.subscribe('a.com', '5m')?.getReader());
    expect(hub.clients()).toBe(50);
    for (const reader of readers) expect(await nextEvent(reader as ReadableStreamDefaultReader<Uint8Array>)).toContain('"views":0');
    views = 3;
    for (const reader of readers) expect(await nextEvent(reader as ReadableStreamDefaultReader<Uint8Array>)).toContain('"views":3');
    const ticks = perSite.get('a.com') ?? 0;
    expect(ticks).toBeGreaterThan(0);
    // 50 clients, yet no more queries than ticks of one channel: far fewer than 2 per client.
    expect(ticks).toBeLessThan(50);
    for (const reader of readers) await reader?.cancel();
    expect(hub.clients()).toBe(0);
    hub.close();
  });

  it('gives a shared link with locked filters a channel of its own, whose queries hold them', async () => {
    const hub = createStreamHub({
      log: plainLogger(),
      tickMs: 20,
      read: async (site, _window, locked) => ({ data: { site, locked }, signature: JSON.stringify(locked) }),
    });
    const de = [['is', 'event:country', ['DE']]];
    const plain = hub.subscribe('a.com', '5m')?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const filtered = hub.subscribe('a.com', '5m', de)?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    expect(await nextEvent(plain)).toContain('"locked":[]');
    expect(await nextEvent(filtered)).toContain('"locked":[["is","event:country",["DE"]]]');
    await plain.cancel();
    await filtered.cancel();
    expect(hub.clients()).toBe(0);
    hub.close();
  });

  it('sends the answer again after maxSilenceMs even when nothing changed', async () => {
    const hub = createStreamHub({
      log: plainLogger(),
      tickMs: 10,
      maxSilenceMs: 50,
      read: async () => ({ data: { views: 1 }, signature: '1' }),
    });
    const reader = hub.subscribe('a.com', '5m')?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    await nextEvent(reader);
    await nextEvent(reader);
    await reader.cancel();
    hub.close();
  });

  it('drops a client that stopped reading instead of buffering for it', async () => {
    let n = 0;
    const drops: string[] = [];
    const hub = createStreamHub({
      log: plainLogger(),
      tickMs: 5,
      maxQueued: 4,
      onDrop: (reason) => drops.push(reason),
      read: async () => {
        n += 1;
        return { data: { n }, signature: String(n) };
      },
    });
    const stalled = hub.subscribe('a.com', '5m');
    expect(stalled).not.toBeNull();
    const deadline = Date.now() + 5000;
    while (hub.clients() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(hub.clients()).toBe(0);
    expect(drops).toEqual(['slow']);
    hub.close();
  });

  it('refuses connections past the cap', () => {
    const drops: string[] = [];
    const hub = createStreamHub({
      log: plainLogger(),
      maxClients: 2,
      onDrop: (r) => drops.push(r),
      read: async () => ({ data: {}, signature: '' }),
    });
    expect(hub.subscribe('a.com', '5m')).not.toBeNull();
    expect(hub.subscribe('b.com', '5m')).not.toBeNull();
    expect(hub.subscribe('c.com', '5m')).toBeNull();
    expect(drops).toEqual(['full']);
    hub.close();
  });
});
