/**
 * Reads a request body while enforcing SPEC §4's limits as the bytes arrive: at most
 * 256 KiB for an array and 8 KiB for a single event (decided by the first non-blank byte),
 * so an oversized body is refused without being buffered.
 */
import type { IncomingMessage } from 'node:http';
import { LIMITS } from '@tidemark/shared';
import type { ByteBudget } from './budget.ts';

/** The body; or over its `limit` (413); or `busy`: the collector holds as many arriving bytes as it may (503). */
export type BodyResult = { ok: true; body: Buffer } | { ok: false; limit: number } | { ok: false; busy: true };

const OPEN_BRACKET = 0x5b;

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Tracks the running size and the limit that applies to this body. */
export class BodyLimit {
  size = 0;
  limit: number = LIMITS.batchBytes;
  private decided = false;

  /** Adds a chunk; false once the body is over its limit. */
  add(chunk: Uint8Array): boolean {
    this.size += chunk.length;
    if (!this.decided) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i] as number;
        if (isBlank(byte)) continue;
        this.decided = true;
        if (byte !== OPEN_BRACKET) this.limit = LIMITS.eventBytes;
        break;
      }
    }
    return this.size <= this.limit;
  }
}

/** A declared `Content-Length` already over every limit is refused before reading. */
export function declaredTooLarge(contentLength: string | undefined): boolean {
  return contentLength !== undefined && Number(contentLength) > LIMITS.batchBytes;
}

interface Reading {
  limit: BodyLimit;
  chunks: Buffer[];
  budget: ByteBudget | null;
  resolve: (result: BodyResult) => void;
}

const READING = Symbol('tidemark.reading');
type ReadingRequest = IncomingMessage & { [READING]?: Reading };

// Listeners are module-level functions (the request is `this`): no closures per request.
function onData(this: ReadingRequest, chunk: Buffer): void {
  const reading = this[READING];
  if (!reading) return;
  if (!reading.limit.add(chunk)) {
    finish(this, reading, { ok: false, limit: reading.limit.limit });
    this.resume(); // discard the rest without keeping it
    return;
  }
  if (reading.budget !== null && !reading.budget.take(chunk.length)) {
    finish(this, reading, { ok: false, busy: true });
    this.resume();
    return;
  }
  reading.chunks.push(chunk);
}

function onEnd(this: ReadingRequest): void {
  const reading = this[READING];
  if (!reading) return;
  const { chunks, limit } = reading;
  finish(this, reading, { ok: true, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, limit.size) });
}

function onError(this: ReadingRequest): void {
  const reading = this[READING];
  if (reading) finish(this, reading, { ok: true, body: Buffer.alloc(0) }); // the client went away: nobody reads the answer
}

function finish(req: ReadingRequest, reading: Reading, result: BodyResult): void {
  req[READING] = undefined;
  let kept = 0;
  for (const chunk of reading.chunks) kept += chunk.length;
  reading.budget?.give(kept);
  req.off('data', onData);
  req.off('end', onEnd);
  reading.resolve(result);
}

/** Reads a body from Node's request; the bytes kept until it is complete are reserved from `budget`. */
export function readNodeBody(req: IncomingMessage, budget: ByteBudget | null = null): Promise<BodyResult> {
  return new Promise((resolve) => {
    (req as ReadingRequest)[READING] = { limit: new BodyLimit(), chunks: [], budget, resolve };
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', onError);
  });
}
