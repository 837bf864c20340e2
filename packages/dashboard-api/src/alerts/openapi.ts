/**
 * The operations of funnels' companions (goals, properties), alerts and reports (SPEC §12) in
 * `/openapi.json`, with the errors each answers. Their schemas are `schema.ts`'s (`alerts.*`).
 */
import { SITE_PATTERN } from '../patterns.ts';
import type { ALERT_SCHEMAS } from './schema.ts';

type ErrorDoc = (description: string) => unknown;

const ERRORS: Record<number, string> = {
  400: 'A malformed body or parameter: `field` is the JSON pointer or parameter of the first problem.',
  401: 'No credentials, or a wrong, revoked or expired key, session or link.',
  403: 'Good credentials without the scope on the site (a shared link never reaches rules); a missing CSRF token; or, in the open mode, a request not naming a loopback host.',
  404: 'No such rule.',
  429: 'Too many failed sign-ins from this address (Retry-After).',
  503: 'A query ran longer than the server-side limit (Retry-After).',
};

const RULE_400 =
  'A malformed rule: `field` is a JSON pointer into the body. Besides the request schema, the rules between fields: the query follows the Query API’s (conversions need a goal filter, `matches` is RE2, from ≤ to, …); `every` is 10s … 1d; a rule looks back at most 8 640 intervals, and one evaluation may take at most half its interval (“too heavy for its interval”); e-mail channels need SMTP_URL on the server; a `url` is one the WHATWG URL parser takes.';

const siteParam = (required: boolean, description: string) => ({
  name: 'site',
  in: 'query',
  required,
  description,
  schema: { type: 'string', minLength: 1, maxLength: 253, pattern: SITE_PATTERN },
});
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
};

interface Op {
  operationId: string;
  summary: string;
  needs: string;
  parameters?: unknown[];
  body?: keyof typeof ALERT_SCHEMAS;
  answer: keyof typeof ALERT_SCHEMAS | null;
  status: 200 | 201 | 204;
  errors: number[];
}

function operation(op: Op, error: ErrorDoc) {
  const ref = (name: string) => ({ $ref: `#/components/schemas/alerts.${name}` });
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: `Needs: ${op.needs}.`,
    parameters: op.parameters ?? [],
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } } : {}),
    responses: {
      [op.status]:
        op.answer === null
          ? { description: 'Done (no body).' }
          : { description: 'OK', content: { 'application/json': { schema: ref(op.answer) } } },
      ...Object.fromEntries([...new Set([...op.errors, 401, 429])].sort().map((s) => [s, error(ERRORS[s] ?? 'Refused.')])),
    },
  };
}

/** Paths → operations, for `openApiDocument`. */
export function alertPaths(error: ErrorDoc): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {
    '/api/v2/goals': {
      get: operation(
        {
          operationId: 'goals',
          summary: 'A site’s goals (its settings in the sites registry), or none: then every custom event name is a goal.',
          needs: 'stats:read on the site',
          parameters: [siteParam(true, 'The site.')],
          answer: 'goals',
          status: 200,
          errors: [400, 403],
        },
        error,
      ),
    },
    '/api/v2/properties': {
      get: operation(
        {
          operationId: 'propertyKeys',
          summary: 'The custom property keys of a site’s events (of one event name, or of every custom event), most used first.',
          needs: 'stats:read on the site',
          parameters: [
            siteParam(true, 'The site.'),
            { name: 'event', in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9 _.:-]{1,64}$' } },
            { name: 'days', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 366, default: 30 } },
          ],
          answer: 'properties',
          status: 200,
          errors: [400, 403, 503],
        },
        error,
      ),
    },
  };
  for (const kind of ['alert', 'report'] as const) {
    const Kind = kind === 'alert' ? 'Alert' : 'Report';
    const base = `/api/v2/${kind}s`;
    const what = kind === 'alert' ? 'alert rules (a v2 query, a condition, channels)' : 'weekly and monthly reports';
    paths[base] = {
      get: operation(
        {
          operationId: `list${Kind}s`,
          summary: `The ${what} the caller may read, with their state.`,
          needs: 'stats:read (the rules of the sites it holds it on)',
          parameters: [siteParam(false, 'Only this site’s.')],
          answer: `${kind}s`,
          status: 200,
          errors: [400, 403],
        },
        error,
      ),
      post: operation(
        {
          operationId: `create${Kind}`,
          summary: kind === 'alert' ? 'Create an alert rule: checked at its `every`.' : 'Schedule a report.',
          needs: 'sites:admin on the site',
          body: `${kind}Request`,
          answer: `${kind}Created`,
          status: 201,
          errors: [400, 403],
        },
        error,
      ),
    };
    paths[`${base}/{id}`] = {
      get: operation(
        {
          operationId: `get${Kind}`,
          summary: `One ${kind}, its state and its last 50 notices.`,
          needs: 'stats:read on its site',
          parameters: [idParam],
          answer: `${kind}WithHistory`,
          status: 200,
          errors: [403, 404],
        },
        error,
      ),
      delete: operation(
        {
          operationId: `delete${Kind}`,
          summary: `Delete a ${kind}.`,
          needs: 'sites:admin on its site',
          parameters: [idParam],
          answer: null,
          status: 204,
          errors: [403, 404],
        },
        error,
      ),
    };
    paths[`${base}/{id}/deliveries`] = {
      get: operation(
        {
          operationId: `${kind}Deliveries`,
          summary: 'The delivery log: every attempt to every channel, newest first (at most 200).',
          needs: 'stats:read on its site',
          parameters: [idParam],
          answer: 'deliveries',
          status: 200,
          errors: [403, 404],
        },
        error,
      ),
    };
    paths[`${base}/{id}/test`] = {
      post: operation(
        {
          operationId: `test${Kind}`,
          summary: kind === 'alert' ? 'Send a test notice to every channel (one attempt each).' : 'Send the report of the last period now.',
          needs: 'sites:admin on its site',
          parameters: [idParam],
          answer: 'testSent',
          status: 200,
          errors: [403, 404, 503],
        },
        error,
      ),
    };
  }
  (paths['/api/v2/alerts'] as { post: { responses: Record<string, unknown> } }).post.responses[400] = error(RULE_400);
  (paths['/api/v2/reports'] as { post: { responses: Record<string, unknown> } }).post.responses[400] = error(RULE_400);
  return paths;
}
