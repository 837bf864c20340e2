/**
 * `auth_failed` log lines for wrong keys, sessions and links (SPEC §11: brute force is logged):
 * at most one per client address per minute, so a flood cannot flood the log, and never the
 * secret itself — only the address, the reason and where.
 */
import type { Logger } from '../logger.ts';

const EVERY_MS = 60_000;
const MAX_ADDRESSES = 10_000;

export function createFailureLog(log: Logger, now: () => number = Date.now): (ip: string, reason: string, path: string) => void {
  const logged = new Map<string, number>();
  return (ip, reason, path) => {
    const t = now();
    if ((logged.get(ip) ?? Number.NEGATIVE_INFINITY) > t - EVERY_MS) return;
    if (logged.size >= MAX_ADDRESSES) logged.clear();
    logged.set(ip, t);
    log.warn({ ip, reason, path }, 'auth_failed');
  };
}
