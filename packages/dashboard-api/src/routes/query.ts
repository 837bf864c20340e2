/** `POST /api/v2/query` (SPEC §10): parse the body, run the engine, answer JSON or stream CSV. */
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import { csvLines } from '../v2/csv.ts';
import { QueryTimeoutError, runQuery } from '../v2/engine.ts';
import type { GoalLookup } from '../v2/goals.ts';
import { echo, parseQuery, type Query } from '../v2/parse.ts';
import { jsonBody } from './body.ts';
import type { StatsContext } from './stats.ts';

export interface QueryContext extends StatsContext {
  retentionDays: number;
  siteTimezone: (site: string) => string | null;
  siteGoals: GoalLookup;
}

type Answer = Awaited<ReturnType<typeof runQuery>>;

/** The engine's answer to a parsed query, timed as the `query` route (throws `QueryTimeoutError`). */
export function answerQuery(context: QueryContext, query: Query): Promise<Answer> {
  return context.timed('query', () =>
    runQuery(context.client, context.tables, query, {
      now: context.now(),
      retentionDays: context.retentionDays,
      goals: context.siteGoals,
    }),
  );
}

export function mountQuery(api: Hono<ApiEnv>, context: QueryContext): void {
  api.post('/query', async (c) => {
    const body = await jsonBody(c);
    const acceptCsv = (c.req.header('accept') ?? '').includes('text/csv');
    const query = parseQuery(body, { siteTimezone: context.siteTimezone, acceptCsv });
    let answer: Answer;
    try {
      answer = await answerQuery(context, query);
    } catch (error) {
      if (error instanceof QueryTimeoutError) return c.json({ error: error.message }, 503, { 'Retry-After': '10' });
      throw error;
    }
    if (query.format === 'csv') {
      const lines = csvLines(query, answer);
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const chunk = lines.splice(0, 500);
          if (chunk.length === 0) controller.close();
          else controller.enqueue(encoder.encode(`${chunk.join('\r\n')}\r\n`));
        },
      });
      return new Response(stream, {
        headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="query.csv"' },
      });
    }
    return c.json({ ...answer, query: echo(query) });
  });
}
