/**
 * What routes ask of the principal: a scope, on a site, on several, or on all. A refusal is
 * an `AccessDenied` that `app.onError` answers: 401 for an anonymous caller (signing in may
 * help), 403 for anyone else (SPEC §11: right key, wrong site or scope).
 */
import { type AccessRegistry, allows, allowsAll, type Scope, scopesOf, sitesFor } from '@tidemark/shared';
import type { MiddlewareHandler } from 'hono';
import type { ApiContext, ApiEnv } from './context.ts';

export class AccessDenied extends Error {
  override readonly name = 'AccessDenied';
  readonly status: 401 | 403;
  constructor(message: string, status: 401 | 403) {
    super(message);
    this.status = status;
  }
}

function deny(c: ApiContext, message: string): AccessDenied {
  const anonymous = c.var.auth.principal.kind === 'anonymous';
  return new AccessDenied(anonymous ? 'sign in: a key or a session is required' : message, anonymous ? 401 : 403);
}

export interface Guard {
  /** Middleware: the principal holds `scope` on at least one site. */
  scope(scope: Scope): MiddlewareHandler<ApiEnv>;
  /** Throws unless the principal holds `scope` on `site`. */
  site(c: ApiContext, scope: Scope, site: string): void;
  /** Throws unless the principal holds `scope` on every site. */
  all(c: ApiContext, scope: Scope): void;
  /** The sites the principal holds `scope` on. */
  sites(c: ApiContext, scope: Scope): 'all' | readonly string[];
  /** A shared link's locked filters (SPEC §11), which every query it runs holds; else none. */
  locked(c: ApiContext): readonly unknown[];
}

export function createGuard(registry: AccessRegistry): Guard {
  return {
    scope(scope) {
      return async (c, next) => {
        const p = c.var.auth.principal;
        const anywhere = scopesOf(p).includes(scope) && (p.kind !== 'anonymous' || sitesFor(p, scope, registry.current()).length > 0);
        if (!anywhere) throw deny(c, `this needs the ${scope} scope`);
        return next();
      };
    },
    site(c, scope, site) {
      const p = c.var.auth.principal;
      if (!allows(p, scope, site, registry.current())) {
        throw deny(c, scopesOf(p).includes(scope) ? `${site}: not among the sites this may use` : `this needs the ${scope} scope`);
      }
    },
    all(c, scope) {
      const p = c.var.auth.principal;
      if (!allowsAll(p, scope, registry.current())) {
        throw deny(c, scopesOf(p).includes(scope) ? `this needs ${scope} on every site` : `this needs the ${scope} scope`);
      }
    },
    sites(c, scope) {
      return sitesFor(c.var.auth.principal, scope, registry.current());
    },
    locked(c) {
      const p = c.var.auth.principal;
      return p.kind === 'share' ? p.link.filters : [];
    },
  };
}
