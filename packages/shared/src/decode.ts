/**
 * Checks an event read from JSON (a JSON message on the topic: written by hand, by another
 * tool, or by a collector of the earliest versions) against the columns of the schema version
 * it claims, so a message that the table cannot hold goes to the dead-letter queue instead of
 * failing a whole insert. Columns added after that version take their zero value when absent.
 */
import { ValidationError } from './errors.ts';
import { NIL_UUID, type StoredEvent } from './event.ts';
import { MAP, STRING, TIME, UINT16, UINT32, UINT64, UUID } from './wire/column-kinds.ts';
import { SCHEMAS, type WireSchemas } from './wire/schema.ts';

const TIME_TEXT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Each kind's check (the message says what it must be) and zero value (for a column the JSON may lack). */
const RULES: Record<number, { ok: (v: unknown) => boolean; must: string; zero: () => unknown }> = {
  [UUID]: { ok: (v) => typeof v === 'string' && UUID_TEXT.test(v), must: 'a UUID', zero: () => NIL_UUID },
  [STRING]: { ok: (v) => typeof v === 'string', must: 'a string', zero: () => '' },
  [TIME]: { ok: (v) => typeof v === 'string' && TIME_TEXT.test(v), must: 'YYYY-MM-DD hh:mm:ss.sss', zero: () => '1970-01-01 00:00:00.000' },
  [UINT64]: { ok: (v) => typeof v === 'string', must: 'a string', zero: () => '0' },
  [UINT16]: { ok: count, must: 'a number', zero: () => 0 },
  [UINT32]: { ok: count, must: 'a number', zero: () => 0 },
  [MAP]: { ok: stringMap, must: 'a string map', zero: () => ({}) },
};

function count(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function stringMap(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const key in v) if (typeof (v as Record<string, unknown>)[key] !== 'string') return false;
  return true;
}

/**
 * The event, checked column by column in table order (the first bad column is the one
 * reported): every column of `version` must be there; later ones are filled in when absent.
 */
export function checkStoredEvent(value: unknown, version = SCHEMAS.current.version, schemas: WireSchemas = SCHEMAS): StoredEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('message: must be an event object');
  }
  const record = value as Record<string, unknown>;
  const { columns, kinds } = schemas.current;
  for (let c = 0; c < columns.length; c++) {
    const [name, , since] = columns[c] as (typeof columns)[number];
    const rule = RULES[kinds[c] as number] as (typeof RULES)[number];
    const v = record[name];
    if (v === undefined && since > version) record[name] = rule.zero();
    else if (!rule.ok(v)) throw new ValidationError(`${name}: must be ${rule.must}`, name);
  }
  return record as unknown as StoredEvent;
}
