/**
 * Queue messages. On Kafka a message carries the events of one send bound for one
 * partition: a format byte (1), a varint count, then each event as one ClickHouse
 * `RowBinary` row (`row-binary.ts`). The ingester checks each row's structure and copies its
 * bytes into the insert body — no parse, no re-encode — and Kafka's per-message costs (in
 * kafkajs, on both sides) are paid per send and partition instead of per event. The
 * in-process queue keeps a send as the same kind of message. A message of one event's JSON
 * is read everywhere too, so JSON produced by hand is stored.
 */
import { decodeStoredEvent } from '../decode.ts';
import { ValidationError } from '../errors.ts';
import type { StoredEvent } from '../event.ts';
import { RowBinaryWriter } from './row-binary.ts';
import { decodeRow, readVarint } from './row-binary-read.ts';

/** The first byte of a RowBinary message (a JSON one starts with `{` or white space). */
export const ROW_BINARY_MESSAGE = 1;
/** A message is closed once it holds this many bytes (Kafka refuses messages over 1 MiB by default). */
const MESSAGE_BYTES = 256 * 1024;

/**
 * The events as RowBinary messages, in order, each at most about `MESSAGE_BYTES` (one event
 * per message at least). Throws a `ValidationError` for an event the table cannot hold.
 */
export function encodeMessages(events: readonly StoredEvent[], messageBytes = MESSAGE_BYTES): Buffer[] {
  const messages: Buffer[] = [];
  for (let i = 0; i < events.length; ) {
    const rows = new RowBinaryWriter(Math.min(messageBytes, (events.length - i) * 256) + 16);
    const first = i;
    while (i < events.length && (i === first || rows.length < messageBytes)) rows.event(events[i++] as StoredEvent);
    const head = new RowBinaryWriter(8);
    head.byte(ROW_BINARY_MESSAGE);
    head.varint(i - first);
    messages.push(Buffer.concat([head.bytes(), rows.bytes()]));
  }
  return messages;
}

/** How many events a message holds: its count, or 1 for a JSON message (or one that is neither). */
export function messageEvents(value: Buffer): number {
  if (value[0] !== ROW_BINARY_MESSAGE) return 1;
  try {
    return Math.max(1, readVarint(value, 1, value.length)[0]);
  } catch {
    return 1;
  }
}

/** Where the rows of a RowBinary message start, and how many there are. */
export function messageRows(value: Buffer): { count: number; start: number } {
  const [count, start] = readVarint(value, 1, value.length);
  if (count === 0) throw new ValidationError('message: holds no event');
  return { count, start };
}

/** The events of a queue message in either format; a `ValidationError` for anything else. */
export function decodeMessage(value: Buffer): StoredEvent[] {
  if (value[0] !== ROW_BINARY_MESSAGE) return [decodeStoredEvent(value)];
  const { count, start } = messageRows(value);
  const events: StoredEvent[] = [];
  let pos = start;
  for (let i = 0; i < count; i++) {
    const { event, end } = decodeRow(value, pos);
    events.push(event);
    pos = end;
  }
  if (pos !== value.length) throw new ValidationError('message: bytes after the last row');
  return events;
}
