/**
 * The topic's value format (docs/topic.md), measured both ways on the Node side: what the
 * collector spends to encode a send and the ingester to check it and build its insert body,
 * per event, and the bytes per event on the topic — RowBinary (what Tidemark writes) against
 * JSONEachRow lines (the other standard format ClickHouse's Kafka engine and most tools read).
 * The server's side of the same choice (RowBinary through `input()` ≈ a fifth of JSONEachRow's
 * CPU) is in docs/storage.md. Runs alone: `npx tsx bench/wire.ts [--quick]`.
 */
import { BatchBody, createRecentIds } from '@tidemark/ingester';
import { encodeMessages, frameOf, HEADERS, jsonEvents, type QueueMessage, SCHEMA_VERSION, type StoredEvent } from '@tidemark/shared';
import { syntheticEvent } from '../test/ingester-support.ts';
import { type Figures, round } from './lib.ts';

const SEND = 200; // events per send and partition, about what a busy collector packs

/** Median µs per event of `rounds` runs of `work` over `events` events. */
function perEvent(events: number, rounds: number, work: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    work();
    times.push(((performance.now() - started) * 1000) / events);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

function jsonMessages(events: StoredEvent[]): QueueMessage[] {
  const out: QueueMessage[] = [];
  for (let i = 0; i < events.length; i += SEND) {
    const slice = events.slice(i, i + SEND);
    const value = Buffer.from(`${slice.map((e) => JSON.stringify(e)).join('\n')}\n`);
    out.push({
      offset: BigInt(i),
      value,
      headers: { [HEADERS.format]: 'JSONEachRow', [HEADERS.schema]: String(SCHEMA_VERSION), [HEADERS.rows]: String(slice.length) },
    });
  }
  return out;
}

export async function benchWire({ quick }: { quick: boolean }): Promise<Figures> {
  const total = quick ? 20_000 : 200_000;
  const rounds = quick ? 5 : 9;
  const events = Array.from({ length: total }, (_, i) => syntheticEvent('bench.example', i));
  const sends = Array.from({ length: total / SEND }, (_, i) => events.slice(i * SEND, (i + 1) * SEND));

  let binary: QueueMessage[] = [];
  const encodeBinary = perEvent(total, rounds, () => {
    binary = sends.flatMap((send) => encodeMessages(send)).map((m, i) => ({ ...m, offset: BigInt(i) }));
  });
  let json: QueueMessage[] = [];
  const encodeJson = perEvent(total, rounds, () => {
    json = jsonMessages(events);
  });
  const bytes = (messages: QueueMessage[]) => messages.reduce((n, m) => n + m.value.length, 0) / total;

  // The ingester: RowBinary rows are scanned and copied; JSON lines are parsed, checked and encoded.
  const ingest = (messages: QueueMessage[]) => () => {
    const body = new BatchBody(createRecentIds(), false, 0);
    for (const m of messages) body.add(m, frameOf(m));
    if (body.finish().keys.length !== total) throw new Error('rows lost');
  };
  const ingestBinary = perEvent(total, rounds, ingest(binary));
  const ingestJson = perEvent(total, rounds, ingest(json));
  // JSON forwarded as it is (no re-encoding, the server parses it): the ingester's check alone.
  const checkJson = perEvent(total, rounds, () => {
    for (const m of json) jsonEvents(m.value, frameOf(m));
  });
  return {
    'wire RowBinary bytes/event': round(bytes(binary), 0),
    'wire JSONEachRow bytes/event': round(bytes(json), 0),
    'wire collector encode µs/event RowBinary / JSONEachRow': `${round(encodeBinary, 2)} / ${round(encodeJson, 2)}`,
    'wire ingester body µs/event RowBinary / JSONEachRow (parse, check, encode)': `${round(ingestBinary, 2)} / ${round(ingestJson, 2)}`,
    'wire ingester JSONEachRow parse and check only µs/event': round(checkJson, 2),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchWire({ quick: process.argv.includes('--quick') });
  for (const [k, v] of Object.entries(results)) process.stdout.write(`${k}  ${v}\n`);
}
