/** The OpenAPI paths of switching in and out (SPEC §13): a site's raw event export and its imports. */

const site = { name: 'site', in: 'path', required: true, schema: { type: 'string' }, description: 'The site (a host name).' };
const json = (schema: Record<string, unknown>, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string) => json({ $ref: '#/components/schemas/error' }, description);

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

const BAD_FILE = json(
  {
    type: 'object',
    required: ['error', 'field', 'file', 'line'],
    properties: {
      error: { type: 'string' },
      field: { type: 'string', const: 'body' },
      file: { type: 'string', description: 'The file of the export (an entry of the zip) with the problem.' },
      line: { type: ['integer', 'null'], description: 'Its line, when the problem is one line.' },
    },
  },
  'A malformed, truncated or foreign file: nothing of the import is kept.',
);

export function switchingPaths(): Record<string, unknown> {
  return {
    '/api/v2/sites/{site}/export': {
      get: {
        operationId: 'exportEvents',
        summary: "The site's raw events of a range as CSV (with a header) or Parquet, as ClickHouse writes them, streamed.",
        parameters: [
          site,
          {
            name: 'from',
            in: 'query',
            required: true,
            schema: { type: 'string' },
            description: 'YYYY-MM-DD (whole days) or an ISO 8601 time.',
          },
          {
            name: 'to',
            in: 'query',
            required: true,
            schema: { type: 'string' },
            description: 'YYYY-MM-DD (included) or an ISO 8601 time (excluded).',
          },
          { name: 'timezone', in: 'query', schema: { type: 'string' }, description: 'The zone of the days (default UTC).' },
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
          400: problem('A parameter is missing or malformed.'),
          401: problem('No valid Bearer token.'),
        },
      },
    },
    '/api/v2/sites/{site}/imports': {
      get: {
        operationId: 'listImports',
        summary: "The site's imports.",
        parameters: [site],
        responses: {
          200: json({ type: 'object', properties: { imports: { type: 'array', items: IMPORT } } }, 'OK'),
          401: problem('No valid Bearer token.'),
        },
      },
      post: {
        operationId: 'importHistory',
        summary: "Imports Plausible's CSV export (its zip) or Umami's data export (website_event CSV, gzip or zip), all or nothing.",
        parameters: [
          site,
          { name: 'source', in: 'query', required: true, schema: { type: 'string', enum: ['plausible', 'umami'] } },
          {
            name: 'timezone',
            in: 'query',
            schema: { type: 'string' },
            description: "The zone whose days Umami's UTC times are counted on (default the site's, else UTC).",
          },
          { name: 'file', in: 'query', schema: { type: 'string' }, description: 'The uploaded file’s name, used in errors.' },
        ],
        requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          201: json(IMPORT, 'Imported: every row is in and counts in reports.'),
          400: BAD_FILE,
          401: problem('No valid Bearer token.'),
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
        parameters: [site, { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          204: { description: 'Deleted.' },
          400: problem('Not an import id.'),
          401: problem('No valid Bearer token.'),
          404: problem('No such import.'),
        },
      },
    },
  };
}
