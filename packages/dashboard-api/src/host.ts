import type { Config } from '@tidemark/shared';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Without `API_TOKEN` and without proxy sign-in the API trusts its callers (SPEC §6, §11), so
 * it binds to loopback only, whatever `HOST` says.
 */
export function apiHost(config: Config['api']): { host: string; note: string | null } {
  if (config.token !== null || config.authProxy !== null || LOOPBACK.test(config.host)) return { host: config.host, note: null };
  return {
    host: '127.0.0.1',
    note: `API_TOKEN is not set (nor AUTH_PROXY_HEADER): serving on 127.0.0.1 only instead of ${config.host}`,
  };
}
