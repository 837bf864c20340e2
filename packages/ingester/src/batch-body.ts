/**
 * One batch's insert body, built message by message. Every row ends up in a RowBinary body,
 * whatever the message format: the rows of a RowBinary message are checked (`scanRow`) and
 * their bytes copied; a JSON message is decoded and encoded, the encoder's checks (a UInt64
 * visitor id, a real date, …) sending what the engine would refuse or store wrongly to the
 * DLQ. For the embedded engine (JSONEachRow) the same rows are kept as JSON lines too (a RowBinary
 * row written as JSON straight from its bytes, a JSON message as it is). An
 * event id already stored lately (`RecentIds`) or earlier in the batch is dropped; an id's
 * key is its 16 wire bytes as a latin1 string.
 */
import {
  decodeStoredEvent,
  JsonLinesWriter,
  messageRows,
  ROW_BINARY_MESSAGE,
  RowBinaryWriter,
  type StoredEvent,
  scanRow,
  uuidAt,
  ValidationError,
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
  readonly dead: { value: Buffer; error: string }[] = [];
  duplicates = 0;
  private readonly writer: RowBinaryWriter;
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
  ) {
    this.recent = recent;
    this.writer = new RowBinaryWriter(messageBytes + 256);
    this.lines = json ? new JsonLinesWriter(Math.ceil(messageBytes * 3.5) + 256) : null;
  }

  /** Adds a message's rows, or dead-letters it whole. */
  add(value: Buffer): void {
    if (value[0] === ROW_BINARY_MESSAGE) this.addRowBinary(value);
    else this.addJson(value);
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

  private addRowBinary(value: Buffer): void {
    // Every row is checked before any is taken: a broken message goes to the DLQ whole.
    let count = 0;
    try {
      const at = messageRows(value);
      count = at.count;
      if (this.starts.length < count + 1) {
        this.starts = new Int32Array(2 * count + 1);
        this.times = new Float64Array(2 * count);
      }
      let pos = at.start;
      for (let i = 0; i < count; i++) {
        this.starts[i] = pos;
        const scan = scanRow(value, pos);
        this.times[i] = scan.timestampMs;
        pos = scan.end;
      }
      this.starts[count] = pos;
      if (pos !== value.length) throw new ValidationError('message: bytes after the last row');
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.dead.push({ value, error: error.message });
      return;
    }
    for (let i = 0; i < count; i++) {
      const from = this.starts[i] as number;
      const key = value.toString('latin1', from, from + 16);
      if (this.seen(key)) continue;
      this.take(key, this.writer.length, this.times[i] as number);
      this.writer.copy(value, from, this.starts[i + 1] as number);
      this.lines?.row(value, from);
    }
  }

  private addJson(value: Buffer): void {
    const start = this.writer.length;
    let event: StoredEvent;
    try {
      event = decodeStoredEvent(value);
      this.writer.event(event);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.dead.push({ value, error: error.message });
      return;
    }
    const key = this.writer.key(start);
    if (this.seen(key)) {
      this.writer.truncate(start);
      return;
    }
    this.take(key, start, Date.parse(`${event.timestamp.replace(' ', 'T')}Z`));
    this.lines?.line(value);
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
