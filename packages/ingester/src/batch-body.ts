/**
 * One batch's insert body, built message by message. Every row ends up in a RowBinary body
 * of the current schema version, whatever the message's framing: the rows of a RowBinary
 * message are checked (`scanRow`, with the columns of the message's version) and their bytes
 * copied, an older version's rows padded with the zero values of the columns added since;
 * a JSON message is decoded and encoded, the encoder's checks (a UInt64 visitor id, a real
 * date, …) sending what the engine would refuse or store wrongly to the DLQ. For the embedded
 * engine (JSONEachRow) the same rows are kept as JSON lines too, written from the row's bytes.
 * An event id already stored lately (`RecentIds`) or earlier in the batch is dropped; an id's
 * key is its 16 wire bytes as a latin1 string.
 */
import {
  type Frame,
  JsonLinesWriter,
  jsonEvents,
  type QueueMessage,
  RowBinaryWriter,
  SCHEMAS,
  type StoredEvent,
  scanRow,
  uuidAt,
  ValidationError,
  type WireSchemas,
} from '@tidemark/shared';
import type { RecentIds } from './recent-ids.ts';

/** What the insert keeps of its rows: their id keys, the first and last id, the time span. */
export interface BatchRows {
  keys: string[];
  firstId: string;
  lastId: string;
  oldestMs: number;
  newestMs: number;
}

export class BatchBody {
  readonly rows: BatchRows = { keys: [], firstId: '', lastId: '', oldestMs: Number.POSITIVE_INFINITY, newestMs: 0 };
  readonly dead: { message: QueueMessage; error: string }[] = [];
  duplicates = 0;
  private readonly writer: RowBinaryWriter;
  private readonly schemas: WireSchemas;
  private readonly lines: JsonLinesWriter | null;
  private readonly inBatch = new Set<string>();
  private firstStart = -1;
  private lastStart = -1;
  // Where the rows of the message in hand start (and where it ends), and their times.
  private starts = new Int32Array(0);
  private times = new Float64Array(0);
  private readonly recent: RecentIds;

  constructor(
    recent: RecentIds,
    json: boolean,
    /**
     * The size of the batch's messages: the buffers start about as large as they end, instead
     * of doubling up to it (RowBinary rows are copied as they are; a JSON line is 2–3.5 times
     * its row, the keys being most of a short one).
     */
    messageBytes: number,
    schemas: WireSchemas = SCHEMAS,
  ) {
    this.recent = recent;
    this.schemas = schemas;
    this.writer = new RowBinaryWriter(messageBytes + 256);
    this.lines = json ? new JsonLinesWriter(Math.ceil(messageBytes * 3.5) + 256, schemas.current) : null;
  }

  /** Adds a message's rows (`frame`: what its headers say, or why they cannot be read), or dead-letters it whole. */
  add(message: QueueMessage, frame: Frame | ValidationError): void {
    if (frame instanceof ValidationError) this.dead.push({ message, error: frame.message });
    else if (frame.format === 'RowBinary') this.addRowBinary(message, frame);
    else this.addJson(message, frame);
  }

  /** The RowBinary body (valid until the next `add`). */
  rowBinary(): Buffer {
    return this.writer.bytes();
  }

  /** The JSONEachRow body (when made with `json`). */
  jsonLines(): Buffer {
    if (!this.lines) throw new Error('this batch body keeps no JSON lines');
    return this.lines.bytes();
  }

  /** Fills in the first and last id; call once every message was added. */
  finish(): BatchRows {
    if (this.rows.keys.length > 0) {
      this.rows.firstId = uuidAt(this.writer.bytes(), this.firstStart);
      this.rows.lastId = uuidAt(this.writer.bytes(), this.lastStart);
    }
    return this.rows;
  }

  private addRowBinary(message: QueueMessage, frame: Frame): void {
    const { value } = message;
    const count = frame.rows;
    // Every row is checked before any is taken: a broken message goes to the DLQ whole.
    try {
      if (this.starts.length < count + 1) {
        this.starts = new Int32Array(2 * count + 1);
        this.times = new Float64Array(2 * count);
      }
      let pos = frame.start;
      for (let i = 0; i < count; i++) {
        this.starts[i] = pos;
        const scan = scanRow(value, pos, value.length, frame.schema);
        this.times[i] = scan.timestampMs;
        pos = scan.end;
      }
      this.starts[count] = pos;
      if (pos !== value.length) throw new ValidationError('message: bytes after the last row');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.dead.push({ message, error: error.message });
      return;
    }
    const padding = this.schemas.padding(frame.schema.version);
    for (let i = 0; i < count; i++) {
      const from = this.starts[i] as number;
      const key = value.toString('latin1', from, from + 16);
      if (this.seen(key)) continue;
      const at = this.writer.length;
      this.take(key, at, this.times[i] as number);
      this.writer.copy(value, from, this.starts[i + 1] as number);
      if (padding.length > 0) this.writer.copy(padding);
      this.lines?.row(this.writer.bytes(), at);
    }
  }

  private addJson(message: QueueMessage, frame: Frame): void {
    // Encoded apart first: one bad line sends the whole message to the DLQ.
    const rows = new RowBinaryWriter(message.value.length + 64);
    const ends: number[] = [];
    let events: StoredEvent[];
    try {
      events = jsonEvents(message.value, frame, this.schemas);
      for (const event of events) {
        rows.event(event);
        ends.push(rows.length);
      }
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.dead.push({ message, error: error.message });
      return;
    }
    const bytes = rows.bytes();
    let from = 0;
    events.forEach((event, i) => {
      const to = ends[i] as number;
      const key = rows.key(from);
      if (!this.seen(key)) {
        const at = this.writer.length;
        this.take(key, at, Date.parse(`${event.timestamp.replace(' ', 'T')}Z`));
        this.writer.copy(bytes, from, to);
        this.lines?.row(this.writer.bytes(), at);
      }
      from = to;
    });
  }

  /** True (and counted) for an id stored lately or already in this batch. */
  private seen(key: string): boolean {
    if (!this.recent.has(key) && !this.inBatch.has(key)) return false;
    this.duplicates++;
    return true;
  }

  private take(key: string, start: number, timestampMs: number): void {
    this.inBatch.add(key);
    this.rows.keys.push(key);
    if (this.firstStart < 0) this.firstStart = start;
    this.lastStart = start;
    if (timestampMs < this.rows.oldestMs) this.rows.oldestMs = timestampMs;
    if (timestampMs > this.rows.newestMs) this.rows.newestMs = timestampMs;
  }
}
