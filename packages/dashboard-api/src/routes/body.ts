/** The JSON body of a v2 POST, at most `max` bytes; malformed or too large is a 400 pointing at the body. */
import { ValidationError } from '@tidemark/shared';
import type { Context } from 'hono';

export const MAX_BODY = 64 * 1024;

export async function jsonBody(c: Context, max = MAX_BODY): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > max) throw new ValidationError(`body: larger than ${max} bytes`, '');
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('body: not valid JSON', '');
  }
}
