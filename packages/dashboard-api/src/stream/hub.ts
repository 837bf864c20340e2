/**
 * Server-sent `live` events (SPEC §6 `/stream`). Subscribers of one (site, window) share a
 * channel; each channel runs ONE query per tick whatever its number of subscribers, and sends
 * the answer when it changed or when `maxSilenceMs` passed since the last one. A client whose
 * unsent events pile up past `maxQueued` (it stopped reading) is dropped, never buffered
 * without bound; past `maxClients` new connections are refused.
 */
import type { Logger } from '@tidemark/shared';

export interface Reading {
  data: unknown;
  /** Equal signatures mean nothing new to say. */
  signature: string;
}

export interface HubOptions {
  /** `locked`: a shared link's locked filters (SPEC §11), held in the channel's queries. */
  read: (site: string, window: string, locked: readonly unknown[]) => Promise<Reading>;
  log: Logger;
  tickMs?: number;
  maxSilenceMs?: number;
  heartbeatMs?: number;
  maxClients?: number;
  maxQueued?: number;
  onDrop?: (reason: 'slow' | 'full') => void;
  onClients?: (count: number) => void;
}

interface Subscriber {
  controller: ReadableStreamDefaultController<Uint8Array>;
}

interface Channel {
  key: string;
  site: string;
  window: string;
  locked: readonly unknown[];
  subscribers: Set<Subscriber>;
  timer: NodeJS.Timeout;
  last: Reading | null;
  lastSentAt: number;
  lastBeatAt: number;
  busy: boolean;
}

export interface StreamHub {
  /** A `text/event-stream` body, or null when the connection cap is reached. */
  /** Subscribers of one (site, window, locked filters) share a channel. */
  subscribe(site: string, window: string, locked?: readonly unknown[]): ReadableStream<Uint8Array> | null;
  clients(): number;
  /** Queries run so far (for tests of the one-query-per-tick rule). */
  queries(): number;
  close(): void;
}

const encoder = new TextEncoder();

export function createStreamHub({
  read,
  log,
  tickMs = 1000,
  maxSilenceMs = 5000,
  heartbeatMs = 15_000,
  maxClients = 1000,
  maxQueued = 16,
  onDrop = () => {},
  onClients = () => {},
}: HubOptions): StreamHub {
  const channels = new Map<string, Channel>();
  let count = 0;
  let queryCount = 0;

  function remove(channel: Channel, sub: Subscriber): void {
    if (!channel.subscribers.delete(sub)) return;
    count -= 1;
    onClients(count);
    if (channel.subscribers.size === 0) {
      clearInterval(channel.timer);
      channels.delete(channel.key);
    }
  }

  function write(channel: Channel, sub: Subscriber, text: string): void {
    const size = sub.controller.desiredSize;
    if (size !== null && size <= 0) {
      log.warn({ site: channel.site, queued: maxQueued }, 'stream_client_dropped');
      onDrop('slow');
      remove(channel, sub);
      try {
        sub.controller.close();
      } catch {
        // already closed by the client
      }
      return;
    }
    sub.controller.enqueue(encoder.encode(text));
  }

  function broadcast(channel: Channel, text: string): void {
    for (const sub of [...channel.subscribers]) write(channel, sub, text);
  }

  const event = (reading: Reading) => `event: live\ndata: ${JSON.stringify(reading.data)}\n\n`;

  async function tick(channel: Channel): Promise<void> {
    if (channel.busy) return;
    channel.busy = true;
    try {
      queryCount += 1;
      const reading = await read(channel.site, channel.window, channel.locked);
      const now = Date.now();
      if (reading.signature !== channel.last?.signature || now - channel.lastSentAt >= maxSilenceMs - tickMs / 2) {
        channel.last = reading;
        channel.lastSentAt = now;
        broadcast(channel, event(reading));
      } else if (now - channel.lastBeatAt >= heartbeatMs) {
        channel.lastBeatAt = now;
        broadcast(channel, ': heartbeat\n\n');
      }
    } catch (err) {
      // Surfaced to the log and retried on the next tick; subscribers keep their connection.
      log.error({ err, site: channel.site }, 'stream_query_failed');
    } finally {
      channel.busy = false;
    }
  }

  function channelFor(site: string, window: string, locked: readonly unknown[]): Channel {
    const key = `${site}\n${window}\n${JSON.stringify(locked)}`;
    const existing = channels.get(key);
    if (existing) return existing;
    const channel: Channel = {
      key,
      site,
      window,
      locked,
      subscribers: new Set(),
      timer: setInterval(() => void tick(channel), tickMs),
      last: null,
      lastSentAt: 0,
      lastBeatAt: Date.now(),
      busy: false,
    };
    channels.set(key, channel);
    return channel;
  }

  return {
    subscribe(site, window, locked = []) {
      if (count >= maxClients) {
        onDrop('full');
        return null;
      }
      let sub: Subscriber | undefined;
      let channel: Channel | undefined;
      return new ReadableStream<Uint8Array>(
        {
          start(controller) {
            channel = channelFor(site, window, locked);
            sub = { controller };
            channel.subscribers.add(sub);
            count += 1;
            onClients(count);
            controller.enqueue(encoder.encode('retry: 2000\n\n'));
            // A new client hears the latest answer at once; a new channel queries at once.
            if (channel.last) controller.enqueue(encoder.encode(event(channel.last)));
            else void tick(channel);
          },
          cancel() {
            if (channel && sub) remove(channel, sub);
          },
        },
        new CountQueuingStrategy({ highWaterMark: maxQueued }),
      );
    },
    clients: () => count,
    queries: () => queryCount,
    close() {
      for (const channel of [...channels.values()]) {
        for (const sub of [...channel.subscribers]) {
          remove(channel, sub);
          try {
            sub.controller.close();
          } catch {
            // already closed
          }
        }
      }
    },
  };
}
