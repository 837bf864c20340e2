/**
 * Where the ingester cuts a fetched partition batch into runs (one insert each), as a
 * pure function: a run starting at a recorded range's first offset is that range exactly
 * (so a replay repeats the first attempt's token); any other run holds at most `maxRows`
 * events (a message holds `events[i]` of them; one message at least) and stops before the
 * next recorded range.
 */
import type { OffsetRange } from './ranges.ts';

export interface Run {
  /** Index after the run's last message in the batch. */
  end: number;
  /** The run's last offset (a recorded range's, when it is one). */
  last: bigint;
  recorded: boolean;
}

/**
 * Where a run of whole messages from `start` ends (exclusive): as many as hold at most
 * `maxRows` events together, one at least. Message `i` holds `events[i]` (1 without `events`).
 */
export function messagesUpTo(events: readonly number[] | undefined, start: number, length: number, maxRows: number): number {
  let end = start + 1;
  for (let rows = events?.[start] ?? 1; end < length; end++) {
    rows += events?.[end] ?? 1;
    if (rows > maxRows) break;
  }
  return end;
}

/**
 * The run starting at `offsets[start]`, or `null` when it is a recorded range that the batch
 * ends inside of while the log holds more (fetch again from `offsets[start]`).
 */
export function cutRun(
  offsets: bigint[],
  start: number,
  ranges: OffsetRange[],
  maxRows: number,
  highWatermark: bigint,
  events?: readonly number[],
): Run | null {
  const first = offsets[start];
  if (first === undefined) throw new RangeError(`no message at ${start}`);
  const recorded = ranges.find((r) => r.first === first);
  if (recorded) {
    const lastHere = offsets[offsets.length - 1] ?? first;
    if (lastHere < recorded.last && highWatermark > recorded.last) return null;
    let end = start;
    while (end < offsets.length && (offsets[end] ?? 0n) <= recorded.last) end++;
    return { end, last: recorded.last, recorded: true };
  }
  let end = messagesUpTo(events, start, offsets.length, maxRows);
  const nextRecorded = ranges.find((r) => r.first > first);
  if (nextRecorded) {
    let stop = start + 1;
    while (stop < end && (offsets[stop] ?? 0n) < nextRecorded.first) stop++;
    end = stop;
  }
  return { end, last: offsets[end - 1] ?? first, recorded: false };
}
