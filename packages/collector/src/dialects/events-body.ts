/**
 * The body of `POST /api/event`: Tidemark's events (SPEC §4) or Plausible's (SPEC §13), told
 * apart by how an event names its site — `site` is Tidemark's, `d` or `domain` Plausible's; an
 * object with both, or neither, is a 400 naming why. A single Plausible object is answered as
 * Plausible answers (`202`, text `ok`); anything else as Tidemark answers.
 */
import { checkEvent, LIMITS, type ParsedEvent, type ValidateOptions, ValidationError } from '@tidemark/shared';
import { isPlausibleEvent, parsePlausibleEvent } from './plausible.ts';

export type EventsDialect = 'tidemark' | 'plausible';

export interface EventsBody {
  batch: ParsedEvent[];
  /** How to answer: Plausible's tracker reads a text `ok`. */
  dialect: EventsDialect;
  /** Each event's place in the body's array (a Plausible event naming several sites is several events). */
  indices: number[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One object of the body → its events (a Plausible event with several sites is several). */
function parseOne(input: unknown, prefix: string, options: ValidateOptions): { events: ParsedEvent[]; plausible: boolean } {
  if (isObject(input) && input.site === undefined && isPlausibleEvent(input)) {
    return { events: parsePlausibleEvent(input, prefix, options), plausible: true };
  }
  if (isObject(input) && input.site !== undefined && isPlausibleEvent(input)) {
    const field = `${prefix}site`;
    throw new ValidationError(`${field}: an event names its site with site (Tidemark) or d/domain (Plausible), not both`, field);
  }
  if (isObject(input) && input.site === undefined) {
    const field = `${prefix}site`;
    throw new ValidationError(`${field}: is required (or d, for a Plausible event)`, field);
  }
  return { events: [checkEvent(input, prefix, options)], plausible: false };
}

/** Parses and validates the body; throws `ValidationError` naming the field. */
export function parseEventsBody(body: string, options: ValidateOptions = {}): EventsBody {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ValidationError('body: must be valid JSON');
  }
  if (!Array.isArray(json)) {
    const { events, plausible } = parseOne(json, '', options);
    return { batch: events, dialect: plausible ? 'plausible' : 'tidemark', indices: events.map(() => 0) };
  }
  if (json.length === 0) throw new ValidationError('body: the array is empty');
  if (json.length > LIMITS.batchEvents) throw new ValidationError(`body: at most ${LIMITS.batchEvents} events per request`);
  const batch: ParsedEvent[] = [];
  const indices: number[] = [];
  for (let i = 0; i < json.length; i++) {
    for (const event of parseOne(json[i], `${i}.`, options).events) {
      batch.push(event);
      indices.push(i);
    }
  }
  return { batch, dialect: 'tidemark', indices };
}
