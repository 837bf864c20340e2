/** The admin API's and sign-in's operations in `/openapi.json` (SPEC §11, docs/admin.md). */
import type { z } from 'zod';
import { SITE_PATTERN } from '../patterns.ts';
import { type ADMIN_ANSWER, ADMIN_BODY } from './answers.ts';
import { AUDIT_QUERY } from './audit.ts';
import { USER_NAME } from './schemas.ts';

interface Helpers {
  parameters: (query: z.ZodType) => unknown[];
  schemaOf: (type: z.ZodType, io: 'input' | 'output') => unknown;
  error: (description: string) => unknown;
}

/** An operation of the admin API or sign-in (SPEC §11). */
export interface OperationDoc {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI path template: `{site}` is a path parameter. */
  path: string;
  operationId: string;
  summary: string;
  /** What it needs (docs/admin.md "Routes and scopes"). */
  needs: string;
  body?: keyof typeof ADMIN_BODY;
  query?: z.ZodType;
  /** The answer's schema; null: 204, no body. */
  answer: keyof typeof ADMIN_ANSWER | null;
  status: 200 | 201 | 204;
  /** Besides 401 and 429, which every `/api/*` operation may answer (the auth middleware's). */
  errors: number[];
  /** Needs no credentials (sign-in, who am I, sign-out, a link's password). */
  open?: true;
}

const ADMIN = 'sites:admin';
export const ADMIN_DOCS: OperationDoc[] = [
  {
    method: 'get',
    path: '/api/v2/sites',
    operationId: 'listSites',
    summary: 'Registered sites the caller administers.',
    needs: `${ADMIN} on any site`,
    answer: 'sites',
    status: 200,
    errors: [401, 403],
  },
  {
    method: 'post',
    path: '/api/v2/sites',
    operationId: 'createSite',
    summary: 'Register a site (the collector then refuses unregistered ones).',
    needs: `${ADMIN} on the site`,
    body: 'siteCreate',
    answer: 'site',
    status: 201,
    errors: [400, 401, 403, 409, 415],
  },
  {
    method: 'get',
    path: '/api/v2/sites/{site}',
    operationId: 'getSite',
    summary: 'One registered site.',
    needs: `${ADMIN} on the site`,
    answer: 'site',
    status: 200,
    errors: [400, 401, 403, 404],
  },
  {
    method: 'patch',
    path: '/api/v2/sites/{site}',
    operationId: 'updateSite',
    summary: 'Change the fields given (inside exclude, each list given replaces its own).',
    needs: `${ADMIN} on the site`,
    body: 'siteUpdate',
    answer: 'site',
    status: 200,
    errors: [400, 401, 403, 404, 409, 415],
  },
  {
    method: 'delete',
    path: '/api/v2/sites/{site}',
    operationId: 'deleteSite',
    summary: 'Remove a site and revoke its shared links (its events stay).',
    needs: `${ADMIN} on the site`,
    answer: null,
    status: 204,
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/api/v2/sites/{site}/shared-links',
    operationId: 'listSharedLinks',
    summary: 'The shared links of a site.',
    needs: `${ADMIN} on the site`,
    answer: 'links',
    status: 200,
    errors: [400, 401, 403],
  },
  {
    method: 'post',
    path: '/api/v2/sites/{site}/shared-links',
    operationId: 'createSharedLink',
    summary: 'A read-only link to the site’s dashboard: /share/<slug>.',
    needs: `${ADMIN} on the site`,
    body: 'linkCreate',
    answer: 'link',
    status: 201,
    errors: [400, 401, 403, 415],
  },
  {
    method: 'delete',
    path: '/api/v2/sites/{site}/shared-links/{slug}',
    operationId: 'revokeSharedLink',
    summary: 'Revoke a shared link.',
    needs: `${ADMIN} on the site`,
    answer: null,
    status: 204,
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/api/v2/keys',
    operationId: 'listKeys',
    summary: 'API keys within the caller’s sites, by prefix (never the keys).',
    needs: `${ADMIN}`,
    answer: 'keys',
    status: 200,
    errors: [401, 403],
  },
  {
    method: 'post',
    path: '/api/v2/keys',
    operationId: 'createKey',
    summary: 'Make an API key: the answer is the only place it is shown.',
    needs: `${ADMIN}, and the scopes and sites granted`,
    body: 'keyCreate',
    answer: 'keyCreated',
    status: 201,
    errors: [400, 401, 403, 415],
  },
  {
    method: 'delete',
    path: '/api/v2/keys/{id}',
    operationId: 'revokeKey',
    summary: 'Revoke a key: every instance refuses it within 5 s.',
    needs: `${ADMIN} on the key’s sites`,
    answer: null,
    status: 204,
    errors: [401, 403, 404],
  },
  {
    method: 'get',
    path: '/api/v2/users',
    operationId: 'listUsers',
    summary: 'People the reverse proxy may sign in, with their roles.',
    needs: `${ADMIN} on every site`,
    answer: 'users',
    status: 200,
    errors: [401, 403],
  },
  {
    method: 'post',
    path: '/api/v2/users',
    operationId: 'createUser',
    summary: 'Let the proxy sign someone in as admin or as viewer of some sites.',
    needs: `${ADMIN} on every site`,
    body: 'userCreate',
    answer: 'user',
    status: 201,
    errors: [400, 401, 403, 409, 415],
  },
  {
    method: 'patch',
    path: '/api/v2/users/{user}',
    operationId: 'updateUser',
    summary: 'Change a user’s role or sites.',
    needs: `${ADMIN} on every site`,
    body: 'userUpdate',
    answer: 'user',
    status: 200,
    errors: [400, 401, 403, 404, 409, 415],
  },
  {
    method: 'delete',
    path: '/api/v2/users/{user}',
    operationId: 'deleteUser',
    summary: 'Remove a user.',
    needs: `${ADMIN} on every site`,
    answer: null,
    status: 204,
    errors: [400, 401, 403, 404],
  },
  {
    method: 'get',
    path: '/api/v2/audit',
    operationId: 'auditLog',
    summary: 'Admin actions, newest first.',
    needs: `${ADMIN} on every site (or on site=)`,
    query: AUDIT_QUERY,
    answer: 'audit',
    status: 200,
    errors: [400, 401, 403],
  },
  {
    method: 'get',
    path: '/api/session',
    operationId: 'whoAmI',
    summary: 'Who is signed in, what they may do, and the CSRF token for changes.',
    needs: 'anyone',
    open: true,
    answer: 'session',
    status: 200,
    errors: [401],
  },
  {
    method: 'post',
    path: '/api/session',
    operationId: 'signIn',
    summary: 'Sign the dashboard in with a key: a session cookie (HttpOnly, SameSite=Strict).',
    needs: 'a valid key in the body',
    open: true,
    body: 'signIn',
    answer: 'session',
    status: 201,
    errors: [400, 401, 403, 415, 429],
  },
  {
    method: 'delete',
    path: '/api/session',
    operationId: 'signOut',
    summary: 'End the session (on every instance within 5 s).',
    needs: 'anyone',
    open: true,
    answer: null,
    status: 204,
    errors: [403],
  },
  {
    method: 'post',
    path: '/share/{slug}/unlock',
    operationId: 'unlockSharedLink',
    summary: 'Trade a shared link’s password for a proof (12 h) to send in X-Tidemark-Share.',
    needs: 'the password',
    open: true,
    body: 'unlock',
    answer: 'unlock',
    status: 200,
    errors: [400, 401, 404, 415, 429],
  },
];

const ERRORS: Record<number, string> = {
  400: 'A malformed body or parameter: `field` is the JSON pointer or parameter of the first problem.',
  401: 'No credentials, or a wrong, revoked or expired key, session or link.',
  403: 'Good credentials without the scope or site; a missing CSRF token; a cross-site change.',
  404: 'No such site, key, link or user.',
  409: 'Exists already.',
  415: 'The body is not application/json.',
  429: 'Too many failed sign-ins or passwords from this address (Retry-After).',
};

/** Path parameters the routes check before anything else (a bad one is a 400; others, unknown, a 404). */
const PATH_PARAMETERS: Record<string, object> = {
  site: { type: 'string', minLength: 1, maxLength: 253, pattern: SITE_PATTERN },
  user: { type: 'string', minLength: 1, maxLength: 254, pattern: USER_NAME.source },
};

/** The OpenAPI operation of `doc`, with the Stats API document's helpers. */
export function adminOperation(doc: OperationDoc, { parameters, schemaOf, error }: Helpers): Record<string, unknown> {
  const path = [...doc.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: PATH_PARAMETERS[m[1] ?? ''] ?? { type: 'string' },
  }));
  const ok =
    doc.answer === null
      ? { description: 'Done (no body).' }
      : { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/v2.${doc.answer}` } } } };
  // Every /api route passes the auth middleware: wrong credentials are a 401, too many of them a 429.
  const errors = new Set([...doc.errors, ...(doc.path.startsWith('/api/') ? [401, 429] : [])]);
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    description: `Needs: ${doc.needs}.`,
    ...(doc.open ? { security: [] } : {}),
    parameters: [...path, ...(doc.query ? parameters(doc.query) : [])],
    ...(doc.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(ADMIN_BODY[doc.body], 'input') } } } }
      : {}),
    responses: { [doc.status]: ok, ...Object.fromEntries([...errors].sort().map((s) => [s, error(ERRORS[s] ?? 'Refused.')])) },
  };
}
