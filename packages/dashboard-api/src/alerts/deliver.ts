/**
 * Delivery of a notice to its channels: each channel on its own, each attempt logged
 * (`alert_deliveries`), failures retried with backoff and jitter until `attempts` are spent,
 * every attempt bounded by `timeoutMs` — a slow or unreachable receiver delays only its own
 * channel, never another rule, another channel or the API. Webhooks carry
 * `X-Tidemark-Signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed with the channel's
 * secret; e-mail goes through nodemailer over `SMTP_URL` (STARTTLS required for smtp://).
 * Secrets and SMTP credentials never reach the log: a target is logged as its origin, an
 * error as its message.
 */
import { createHmac } from 'node:crypto';
import { backoffMs, type Logger, sleep } from '@tidemark/shared';
import nodemailer from 'nodemailer';
import type { Message } from './message.ts';
import { type Channel, targetOf } from './rule.ts';
import type { AlertStore } from './store.ts';

export interface SmtpOptions {
  url: string;
  from: string;
  /** Extra CA certificates to trust (PEM), e.g. a private mail server's. */
  ca?: string;
}

export interface DeliveryOptions {
  store: AlertStore;
  log: Logger;
  smtp: SmtpOptions | null;
  /** Attempts per channel (default 6: about a minute of backoff). */
  attempts?: number;
  timeoutMs?: number;
  /** The first backoff ceiling (default 1 s). */
  baseMs?: number;
  signal?: AbortSignal;
}

export interface Outcome {
  ok: boolean;
  status: number;
  error: string;
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

type Transport = ReturnType<typeof nodemailer.createTransport>;

export function smtpTransport(smtp: SmtpOptions, timeoutMs: number): Transport {
  const url = new URL(smtp.url);
  const secure = url.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    ...(smtp.ca ? { tls: { ca: smtp.ca } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<Outcome> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', 'User-Agent': 'Tidemark-Alerts/1', ...headers },
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.body?.cancel();
  return { ok: res.status >= 200 && res.status < 300, status: res.status, error: res.ok ? '' : `answered ${res.status}` };
}

export function createDelivery(options: DeliveryOptions) {
  const { store, log, attempts = 6, timeoutMs = 5000, baseMs = 1000, signal } = options;
  const transport = options.smtp ? smtpTransport(options.smtp, timeoutMs) : null;

  async function once(channel: Channel, message: Message, noticeId: string): Promise<Outcome> {
    if (channel.type === 'email') {
      if (!transport || !options.smtp) return { ok: false, status: 0, error: 'SMTP_URL is not set' };
      await transport.sendMail({
        from: options.smtp.from,
        to: channel.to,
        subject: message.title,
        text: message.text,
        html: message.html,
        headers: { 'X-Tidemark-Notice': noticeId },
      });
      return { ok: true, status: 250, error: '' };
    }
    const body = JSON.stringify(channel.type === 'slack' ? { text: `${message.title}\n${message.json.url ?? ''}` } : message.json);
    const headers: Record<string, string> = { 'X-Tidemark-Notice': noticeId };
    if (channel.type === 'webhook' && channel.secret) headers['X-Tidemark-Signature'] = signature(channel.secret, body);
    return post(channel.url, body, headers, timeoutMs);
  }

  /** Delivers to one channel, retrying; resolves with the last outcome (never rejects). */
  async function toChannel(
    ruleId: string,
    notice: { seq: number; state: string },
    index: number,
    channel: Channel,
    message: Message,
    tries = attempts,
  ): Promise<Outcome> {
    const noticeId = `${ruleId}:${notice.seq}:${notice.state}`;
    let last: Outcome = { ok: false, status: 0, error: 'not sent' };
    for (let attempt = 1; attempt <= tries; attempt++) {
      const started = Date.now();
      try {
        last = await once(channel, message, noticeId);
      } catch (error) {
        last = {
          ok: false,
          status: 0,
          error:
            (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String((error as Error).message).slice(0, 300),
        };
      }
      const final = last.ok || attempt === tries || signal?.aborted === true;
      try {
        await store.logDelivery({
          rule_id: ruleId,
          seq: notice.seq,
          state: notice.state,
          channel: index,
          type: channel.type,
          target: targetOf(channel),
          attempt,
          ok: last.ok ? 1 : 0,
          final: final ? 1 : 0,
          status: last.status,
          error: last.error,
          duration_ms: Date.now() - started,
          at: Date.now(),
        });
      } catch (error) {
        log.error({ err: error, rule: ruleId }, 'alert_delivery_log_failed');
      }
      if (last.ok) return last;
      log.warn(
        { rule: ruleId, channel: index, type: channel.type, target: targetOf(channel), attempt, error: last.error },
        'alert_delivery_failed',
      );
      if (final) return last;
      await sleep(backoffMs(attempt - 1, { baseMs, maxMs: 30_000 }), signal);
    }
    return last;
  }

  return {
    toChannel,
    /** Every channel in parallel; resolves when each has succeeded or given up. */
    all(ruleId: string, notice: { seq: number; state: string }, channels: Channel[], message: Message, tries = attempts) {
      return Promise.all(channels.map((c, i) => toChannel(ruleId, notice, i, c, message, tries)));
    },
    close() {
      transport?.close();
    },
  };
}

export type Delivery = ReturnType<typeof createDelivery>;
