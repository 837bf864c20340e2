import type { Config } from '@tidemark/shared';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Without `API_TOKEN` the API binds to loopback only (SPEC §6), whatever `HOST` says. */
export function apiHost(config: Config['api']): { host: string; note: string | null } {
  if (config.token !== null || LOOPBACK.test(config.host)) return { host: config.host, note: null };
  return { host: '127.0.0.1', note: `API_TOKEN is not set: serving on 127.0.0.1 only instead of ${config.host}` };
}
