/**
 * The OpenAPI paths of switching in and out (SPEC §13): a site's raw event export (`stats:read`
 * on the site; not through a shared link) and its imports (`sites:admin` on the site).
 */
import { SITE_PATTERN } from '../patterns.ts';
import { DATE_PATTERN, INSTANT_PATTERN } from '../v2/parse.ts';
import { ZONE_NAME_PATTERN } from '../v2/zone.ts';

const site = {
  name: 'site',
  in: 'path',
  required: true,
  schema: { type: 'string', minLength: 1, maxLength: 253, pattern: SITE_PATTERN },
  description: 'The site (a host name).',
};
/**
 * A zone's name by its pattern, not the Query API's list of 438: a fuzzer would try each one on
 * every operation (a real export each). A name the runtime does not know is a 400.
 */
const zone = { type: 'string', maxLength: 64, pattern: ZONE_NAME_PATTERN };
/** Exact: a real date or an instant with an offset; both of one kind is a rule between the two (a 400). */
const day = {
  anyOf: [
    { type: 'string', pattern: DATE_PATTERN },
    { type: 'string', pattern: INSTANT_PATTERN },
  ],
};
/** The file names an import takes (`routes/imports.ts`). */
export const FILE_NAME_PATTERN = '^[A-Za-z0-9_.\\- ]{1,200}$';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const json = (schema: Record<string, unknown>, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string) => json({ $ref: '#/components/schemas/error' }, description);
/** What every one of these operations may answer besides its own: the auth middleware's and the guard's. */
const refusals = (scope: string, forbidden = '') => ({
  401: problem('No credentials, or a wrong, revoked or expired key, session or link.'),
  403: problem(
    `The credentials do not hold ${scope} on this site${forbidden}; a change without its CSRF token or from another site; in the open mode, a request not naming a loopback host.`,
  ),
  429: problem('Too many failed sign-ins from this address (Retry-After).'),
});
const READ = 'stats:read';
const ADMIN = 'sites:admin';

const IMPORT = {
  type: 'object',
  required: [
    'site',
    'id',
    'source',
    'status',
    'file',
    'timezone',
    'dateFrom',
    'dateTo',
    'rows',
    'tables',
    'error',
    'createdAt',
    'updatedAt',
  ],
  properties: {
    site: { type: 'string' },
    id: { type: 'string', format: 'uuid' },
    source: { type: 'string', enum: ['plausible', 'umami'] },
    status: { type: 'string', enum: ['importing', 'complete', 'failed'], description: 'Only complete imports count in reports.' },
    file: { type: 'string' },
    timezone: { type: 'string' },
    dateFrom: { type: 'string', description: 'First day of the imported rows (YYYY-MM-DD); empty until complete.' },
    dateTo: { type: 'string', description: 'Last day of the imported rows (YYYY-MM-DD); empty until complete.' },
    rows: { type: 'integer', description: 'Rows read from the export.' },
    tables: { type: 'array', items: { type: 'string' } },
    error: { type: 'string', description: 'Why a failed import failed.' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

const BAD_FILE_SCHEMA = {
  type: 'object',
  required: ['error', 'field', 'file', 'line'],
  properties: {
    error: { type: 'string' },
    field: { type: 'string', const: 'body' },
    file: { type: 'string', description: 'The file of the export (an entry of the zip) with the problem.' },
    line: { type: ['integer', 'null'], description: 'Its line, when the problem is one line.' },
  },
};

export function switchingPaths(): Record<string, unknown> {
  return {
    '/api/v2/sites/{site}/export': {
      get: {
        operationId: 'exportEvents',
        summary: "The site's raw events of a range as CSV (with a header) or Parquet, as ClickHouse writes them, streamed.",
        description: `Needs: ${READ} on the site, from a key, a user or API_TOKEN (not a shared link). Audited.`,
        parameters: [
          site,
          {
            name: 'from',
            in: 'query',
            required: true,
            schema: day,
            description: 'YYYY-MM-DD (whole days) or an ISO 8601 time with an offset; `from` and `to` of one kind.',
          },
          {
            name: 'to',
            in: 'query',
            required: true,
            schema: day,
            description: 'YYYY-MM-DD (included) or an ISO 8601 time (excluded).',
          },
          {
            name: 'timezone',
            in: 'query',
            schema: zone,
            description:
              'The IANA time zone of the days (default UTC; any zone the Query API lists); only with days. An unknown name is a 400.',
          },
          { name: 'format', in: 'query', schema: { type: 'string', enum: ['csv', 'parquet'], default: 'csv' } },
        ],
        responses: {
          200: {
            description: 'The events, ordered by time; X-Tidemark-Export-Rows holds their count.',
            headers: { 'X-Tidemark-Export-Rows': { schema: { type: 'integer' } } },
            content: {
              'text/csv': { schema: { type: 'string' } },
              'application/vnd.apache.parquet': { schema: { type: 'string', format: 'binary' } },
            },
          },
          400: problem(
            'A parameter is missing or malformed, or breaks a rule between them: `from` and `to` both days or both instants, `to` not before `from` (after it, for instants), `timezone` only with days.',
          ),
          ...refusals(READ, ', or they are a shared link (raw events are more than its dashboard shows)'),
        },
      },
    },
    '/api/v2/sites/{site}/imports': {
      get: {
        operationId: 'listImports',
        summary: "The site's imports.",
        description: `Needs: ${ADMIN} on the site.`,
        parameters: [site],
        responses: {
          200: json({ type: 'object', properties: { imports: { type: 'array', items: IMPORT } } }, 'OK'),
          400: problem('Not a site name.'),
          ...refusals(ADMIN),
        },
      },
      post: {
        operationId: 'importHistory',
        summary: "Imports Plausible's CSV export (its zip) or Umami's data export (website_event CSV, gzip or zip), all or nothing.",
        description: `Needs: ${ADMIN} on the site. Audited.`,
        parameters: [
          site,
          { name: 'source', in: 'query', required: true, schema: { type: 'string', enum: ['plausible', 'umami'] } },
          {
            name: 'timezone',
            in: 'query',
            schema: zone,
            description:
              "The IANA time zone whose days Umami's UTC times are counted on (default the site's, else UTC); an unknown name is a 400.",
          },
          {
            name: 'file',
            in: 'query',
            schema: { type: 'string', pattern: FILE_NAME_PATTERN },
            description: 'The uploaded file’s name, used in errors.',
          },
        ],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          201: json(IMPORT, 'Imported: every row is in and counts in reports.'),
          400: json(
            { anyOf: [BAD_FILE_SCHEMA, { $ref: '#/components/schemas/error' }] },
            'The export is malformed, truncated or foreign (`field` is `body`, with `file` and `line`): nothing of the import is kept. Or a parameter is malformed.',
          ),
          ...refusals(ADMIN),
          409: json(
            {
              type: 'object',
              required: ['error', 'overlaps'],
              properties: { error: { type: 'string' }, overlaps: { type: 'array', items: { type: 'string' } } },
            },
            'Another complete import of the site covers some of the same days: nothing was kept.',
          ),
          413: problem('Larger than 16 GiB.'),
        },
      },
    },
    '/api/v2/sites/{site}/imports/{id}': {
      delete: {
        operationId: 'deleteImport',
        summary: "Drops an import's rows.",
        description: `Needs: ${ADMIN} on the site. Audited.`,
        parameters: [site, { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: UUID_PATTERN } }],
        responses: {
          204: { description: 'Deleted.' },
          400: problem('Not an import id.'),
          ...refusals(ADMIN),
          404: problem('No such import.'),
        },
      },
    },
  };
}
