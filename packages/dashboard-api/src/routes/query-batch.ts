/**
 * `POST /api/v2/query/batch` (docs/query.md "Batches"): `{ "queries": [<Query API body>, …] }`,
 * 1 to `MAX_BATCH` of them, each answered as `POST /api/v2/query` answers it alone — the same
 * checks of the caller's sites and a shared link's locked filters, the same parse, engine and
 * errors — as one NDJSON line `{ "index", "status", "body" }` the moment it is answered (so in
 * the order they finish, not the order asked). A page asks its panels' queries at once: one
 * request instead of one each, so none waits for one of the browser's six connections to a host
 * (the live stream holds one). The queries run side by side; identical statements among them run
 * once (`single-flight.ts`). Every query is checked before any runs, as the route checks it alone:
 * a malformed batch or query is one 400 (`field` a pointer into the batch), a site the caller
 * cannot read one 401/403. A query over the time limit is its line's 503; the others are still
 * answered.
 */
import { type Logger, ValidationError } from '@tidemark/shared';
import type { Hono } from 'hono';
import type { ApiContext, ApiEnv } from '../auth/context.ts';
import type { Guard } from '../auth/guard.ts';
import { guardQueryBody } from '../auth/query-guard.ts';
import { QueryTimeoutError } from '../v2/engine.ts';
import { echo, parseQuery, type Query } from '../v2/parse.ts';
import { jsonBody } from './body.ts';
import { answerQuery, type QueryContext } from './query.ts';

/** At most this many queries in one batch (a dashboard page asks 7 to 12 at once), in a body of at most `MAX_BATCH_BODY` bytes. */
export const MAX_BATCH = 20;
export const MAX_BATCH_BODY = 256 * 1024;

/** One line of the answer: the query's place in the batch, and what `POST /api/v2/query` would have answered it. */
export interface BatchLine {
  index: number;
  status: number;
  body: Record<string, unknown>;
}

export function mountQueryBatch(api: Hono<ApiEnv>, context: QueryContext & { guard: Guard; log: Logger }): void {
  /**
   * One query of the batch, checked as the route checks it alone: its sites readable (else
   * `AccessDenied`: the whole batch's 401/403) and well-formed (else the batch's 400, `field`
   * pointing into it: `/queries/2/dimensions/0`).
   */
  function checked(c: ApiContext, given: unknown, index: number): Query {
    const body = guardQueryBody(context.guard, c, given);
    try {
      const query = parseQuery(body, { siteTimezone: context.siteTimezone });
      if (query.format === 'csv')
        throw new ValidationError('format: "csv" is answered by POST /api/v2/query only, not in a batch', '/format');
      return query;
    } catch (error) {
      if (error instanceof ValidationError)
        throw new ValidationError(`queries/${index}: ${error.message}`, `/queries/${index}${error.field}`);
      throw error;
    }
  }

  /** A checked query → its line; never throws (an unexpected error is its line's 500, logged). */
  async function answerLine(query: Query, index: number, path: string): Promise<BatchLine> {
    try {
      return { index, status: 200, body: { ...(await answerQuery(context, query)), query: echo(query) } };
    } catch (error) {
      if (error instanceof QueryTimeoutError) return { index, status: 503, body: { error: error.message } };
      context.log.error({ err: error, path, index }, 'request_failed');
      return { index, status: 500, body: { error: 'internal error' } };
    }
  }

  api.post('/query/batch', async (c) => {
    // Every query is checked before any runs.
    const queries = batchOf(await jsonBody(c, MAX_BATCH_BODY)).map((given, index) => checked(c, given, index));
    const encoder = new TextEncoder();
    // The client may go away (a page aborts a view's batch when the view changes): the stream is
    // then cancelled, and the queries still running are answered into nothing.
    let open = true;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let left = queries.length;
        const send = (line: BatchLine) => {
          left--;
          if (!open) return;
          controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
          if (left === 0) {
            open = false;
            controller.close();
          }
        };
        queries.forEach((query, index) => void answerLine(query, index, c.req.path).then(send));
      },
      cancel() {
        open = false;
      },
    });
    return new Response(stream, { headers: { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' } });
  });
}

/** The batch's queries, or a `ValidationError` naming what is wrong with it. */
function batchOf(body: unknown): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('body: must be a JSON object { "queries": [...] }', '');
  for (const key of Object.keys(body))
    if (key !== 'queries')
      throw new ValidationError(
        `unknown key ${JSON.stringify(key).slice(0, 60)}: a batch holds only "queries"`,
        `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`,
      );
  const queries = (body as { queries?: unknown }).queries;
  if (!Array.isArray(queries) || queries.length === 0 || queries.length > MAX_BATCH)
    throw new ValidationError(`queries: a list of 1 to ${MAX_BATCH} Query API bodies`, '/queries');
  return queries;
}
