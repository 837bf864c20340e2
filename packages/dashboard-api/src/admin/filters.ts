/**
 * The shape of Query API filters (SPEC §10), for a shared link's locked filters: checked when
 * the link is made so a bad one is a 400 then, not a failure of every later query.
 * `[op, dimension, values]`, or `["and", [...]]`, `["or", [...]]`, `["not", filter]`.
 */
import { ValidationError } from '@tidemark/shared';

export const FILTER_OPS = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not'] as const;
export const FILTER_DIMENSIONS = [
  'page',
  'entry_page',
  'exit_page',
  'hostname',
  'source',
  'referrer',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'country',
  'region',
  'city',
  'device',
  'browser',
  'browser_version',
  'os',
  'os_version',
  'screen',
  'event',
  'goal',
] as const;
const OPS = new Set<string>(FILTER_OPS);
const DIMENSIONS = new Set<string>(FILTER_DIMENSIONS);
const PROP = /^prop:[^\s]{1,64}$/;
const MAX_DEPTH = 5;
const MAX_VALUES = 100;

function fail(pointer: string, message: string): never {
  throw new ValidationError(`${pointer}: ${message}`, pointer);
}

function check(filter: unknown, at: string, depth: number): void {
  if (!Array.isArray(filter) || filter.length === 0) fail(at, 'must be a filter: [op, dimension, values]');
  const [op] = filter;
  if (op === 'and' || op === 'or') {
    if (filter.length !== 2 || !Array.isArray(filter[1]) || filter[1].length === 0) fail(at, `must be ["${op}", [filters…]]`);
    if (depth >= MAX_DEPTH) fail(at, `nests deeper than ${MAX_DEPTH}`);
    filter[1].forEach((f: unknown, i: number) => {
      check(f, `${at}/1/${i}`, depth + 1);
    });
    return;
  }
  if (op === 'not') {
    if (filter.length !== 2) fail(at, 'must be ["not", filter]');
    if (depth >= MAX_DEPTH) fail(at, `nests deeper than ${MAX_DEPTH}`);
    check(filter[1], `${at}/1`, depth + 1);
    return;
  }
  if (typeof op !== 'string' || !OPS.has(op)) fail(`${at}/0`, `must be one of ${FILTER_OPS.join(', ')}, and, or, not`);
  if (filter.length !== 3) fail(at, 'must be [op, dimension, values]');
  const [, dimension, values] = filter;
  if (typeof dimension !== 'string' || !(DIMENSIONS.has(dimension) || PROP.test(dimension))) {
    fail(`${at}/1`, 'must be a dimension (page, country, source, …, or prop:<key>)');
  }
  if (!Array.isArray(values) || values.length === 0 || values.length > MAX_VALUES) fail(`${at}/2`, `must be 1 to ${MAX_VALUES} values`);
  values.forEach((v: unknown, i: number) => {
    if (typeof v !== 'string' || v.length > 512) fail(`${at}/2/${i}`, 'must be a string of at most 512 characters');
  });
}

export const FILTER_REF = '#/components/schemas/v2.filter';

/** One filter, as `/openapi.json` describes it (`components.schemas['v2.filter']`): what `check` accepts. */
export const FILTER_SCHEMA = {
  description: '[op, dimension, values], or ["and", [filters…]], ["or", [filters…]], ["not", filter]; nested at most 5 deep.',
  anyOf: [
    {
      type: 'array',
      prefixItems: [
        { enum: [...FILTER_OPS] },
        { anyOf: [{ enum: [...FILTER_DIMENSIONS] }, { type: 'string', pattern: PROP.source }] },
        { type: 'array', minItems: 1, maxItems: MAX_VALUES, items: { type: 'string', maxLength: 512 } },
      ],
      items: false,
      minItems: 3,
    },
    {
      type: 'array',
      prefixItems: [{ enum: ['and', 'or'] }, { type: 'array', minItems: 1, items: { $ref: FILTER_REF } }],
      items: false,
      minItems: 2,
    },
    { type: 'array', prefixItems: [{ const: 'not' }, { $ref: FILTER_REF }], items: false, minItems: 2 },
  ],
};

/** Throws a `ValidationError` naming the JSON pointer (under `base`) of the first problem. */
export function checkFilters(filters: unknown, base: string): unknown[] {
  if (!Array.isArray(filters)) fail(base, 'must be a list of filters');
  if (filters.length > 20) fail(base, 'must have at most 20 filters');
  filters.forEach((f, i) => {
    check(f, `${base}/${i}`, 0);
  });
  return filters;
}
