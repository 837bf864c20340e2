/**
 * A growing buffer written front to back: the base of the RowBinary and JSON-lines writers,
 * which both build one body per batch. It doubles when full; `bytes()` is a view, not a copy.
 */
export class ByteWriter {
  protected buf: Buffer;
  protected pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, 64));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** What was written (a view of the writer's buffer, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Appends one byte. */
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Appends `source[start, end)` as it is. */
  copy(source: Buffer, start = 0, end = source.length): void {
    this.ensure(end - start);
    this.pos += source.copy(this.buf, this.pos, start, end);
  }

  /** Makes room for `n` more bytes. */
  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}
