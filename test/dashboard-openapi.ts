/** Checks real answers against `/openapi.json` (JSON Schema 2020-12, as OpenAPI 3.1 uses). */
import { Ajv2020 } from 'ajv/dist/2020.js';

type Schema = { $ref?: string; properties?: { data?: { contentSchema?: { $ref: string } } } };
type Responses = Record<string, { content?: Record<string, { schema: Schema }> }>;
type Doc = { paths: Record<string, Record<string, { responses: Responses }>> };

/** `check(method, path, status, body)`: the problems of `body` against the documented answer. */
export function operationChecker(document: unknown): (method: string, path: string, status: number, body: unknown) => string[] {
  const doc = document as Doc & { components: unknown };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'openapi', components: doc.components } as object);
  const templates = Object.keys(doc.paths).map((t) => ({ t, re: new RegExp(`^${t.replace(/\{\w+\}/g, '[^/]+')}$`) }));
  return (method, path, status, body) => {
    const bare = path.split('?')[0] ?? '';
    const template = doc.paths[bare] ? bare : templates.find(({ re }) => re.test(bare))?.t;
    const route = template === undefined ? undefined : doc.paths[template]?.[method.toLowerCase()];
    const content = route?.responses[String(status)]?.content;
    // An event stream's schema describes one event; the answer is its data's `contentSchema`.
    const ref = content?.['application/json']?.schema.$ref ?? content?.['text/event-stream']?.schema.properties?.data?.contentSchema?.$ref;
    if (!ref) return [`no documented ${status} answer for ${method} ${path}`];
    const validate = ajv.getSchema(`openapi${ref}`);
    if (!validate) return [`schema ${ref} missing`];
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

/** `check(path, status, body)` for the GET routes of the Stats API. */
export function responseChecker(document: unknown): (path: string, status: number, body: unknown) => string[] {
  const check = operationChecker(document);
  return (path, status, body) => check('get', path, status, body);
}
