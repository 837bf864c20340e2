/** Checks real answers against `/openapi.json` (JSON Schema 2020-12, as OpenAPI 3.1 uses). */
import { Ajv2020 } from 'ajv/dist/2020.js';

type Schema = { $ref?: string; properties?: { data?: { contentSchema?: { $ref: string } } } };
type Doc = {
  paths: Record<string, Record<'get' | 'post', { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
};

export function responseChecker(document: unknown): (path: string, status: number, body: unknown) => string[] {
  const doc = document as Doc & { components: unknown };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'openapi', components: doc.components } as object);
  return (path, status, body) => {
    const route = doc.paths[path.split('?')[0] ?? ''];
    const content = (route?.get ?? route?.post)?.responses[String(status)]?.content;
    // An event stream's schema describes one event; the answer is its data's `contentSchema`.
    const ref = content?.['application/json']?.schema.$ref ?? content?.['text/event-stream']?.schema.properties?.data?.contentSchema?.$ref;
    if (!ref) return [`no documented ${status} answer for ${path}`];
    const validate = ajv.getSchema(`openapi${ref}`);
    if (!validate) return [`schema ${ref} missing`];
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}
