/**
 * The visitor of a server-side event (SPEC §11): the event's own `ip` and `userAgent` when it
 * gives them, else the request's. The request's User-Agent is the sending program's (often one
 * `isbot` rightly calls a bot), so it is hashed into the visitor id but neither parsed nor
 * judged: an event without `userAgent` has no device, browser or OS and is never dropped as a
 * bot, while one with a bot's `userAgent` is. A given `ip` takes its country (and region and city)
 * from the bundled databases only (a CDN's country header describes the sender, not the visitor).
 */
import type { IncomingEvent } from '@tidemark/shared';
import type { RequestFacts } from './enrich.ts';
import type { LocationOf } from './geo/city.ts';
import type { Agent } from './user-agent.ts';

export const UNKNOWN_AGENT: Agent = { bot: false, device: '', browser: '', browserVersion: '', os: '', osVersion: '' };
const NO_HEADERS = {};

export function serverFacts(
  event: IncomingEvent,
  request: RequestFacts,
  agentOf: (userAgent: string) => Agent,
  locationOf: LocationOf,
): RequestFacts {
  const { ip, userAgent } = event;
  if (ip === undefined && userAgent === undefined) return request;
  const { country, region, city } = ip === undefined ? request : locationOf(ip, NO_HEADERS);
  return {
    ip: ip ?? request.ip,
    userAgent: userAgent ?? request.userAgent,
    agent: userAgent === undefined ? request.agent : agentOf(userAgent),
    country,
    region,
    city,
    nowMs: request.nowMs,
  };
}
