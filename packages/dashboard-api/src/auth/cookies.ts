/**
 * The dashboard's cookies: the session (HttpOnly, SameSite=Strict, `__Host-` and Secure over
 * HTTPS) and, for sign-ins the browser repeats by itself without a session (the proxy's, the
 * loopback-only open mode), a CSRF cookie the page echoes in `X-CSRF-Token` (double submit).
 */
import { sha256Hex } from '@tidemark/shared';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

const SESSION = 'tidemark_session';
const CSRF = 'tidemark_csrf';
export const SESSION_DAYS = 30;

const name = (base: string, secure: boolean) => (secure ? `__Host-${base}` : base);

function read(c: Context, base: string): string | null {
  return getCookie(c, `__Host-${base}`) ?? getCookie(c, base) ?? null;
}

export const readSessionCookie = (c: Context) => read(c, SESSION);
export const readCsrfCookie = (c: Context) => read(c, CSRF);

export function setSessionCookie(c: Context, id: string, secure: boolean): void {
  setCookie(c, name(SESSION, secure), id, {
    httpOnly: true,
    sameSite: 'Strict',
    secure,
    path: '/',
    maxAge: SESSION_DAYS * 86_400,
  });
}

export function clearSessionCookie(c: Context, secure: boolean): void {
  deleteCookie(c, name(SESSION, secure), { path: '/', secure, httpOnly: true, sameSite: 'Strict' });
}

export function setCsrfCookie(c: Context, value: string, secure: boolean): void {
  setCookie(c, name(CSRF, secure), value, { sameSite: 'Strict', secure, path: '/' });
}

/** A session's CSRF token: derived from its secret id, so nothing more is stored. */
export function sessionCsrf(sessionId: string): string {
  return sha256Hex(`csrf:${sessionId}`).slice(0, 32);
}
