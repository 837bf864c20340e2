/**
 * The one kafkajs client setup of every Tidemark Kafka use (timeouts, retries, logs as events)
 * and a kafkajs message as the queue's. Part of the kafkajs adapter (`kafkajs.ts`, its consumer
 * `kafkajs-consumer.ts`): nothing outside these three files imports kafkajs.
 */
import { type IHeaders, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import type { Logger } from '../logger.ts';
import type { KafkaTimeouts } from './kafka.ts';
import type { QueueMessage } from './types.ts';

/**
 * kafkajs warnings that describe a choice made here, not a fault: bounded retries on the
 * idempotent producer are deliberate (a send must fail in time to answer 503, and a failed
 * send replaces the producer, see `createKafkaProducer`).
 */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

/** The one kafkajs client setup (timeouts, retries, logs as events) of every Tidemark Kafka user; `onError` sees each error line. */
export function kafkaClient(
  brokers: string[],
  clientId: string,
  log: Logger,
  timeouts: KafkaTimeouts = {},
  onError: (text: string) => void = () => {},
): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: timeouts.requestTimeoutMs ?? 10_000,
    retry: {
      initialRetryTime: 200,
      retries: timeouts.retries ?? 5,
      ...(timeouts.maxRetryTimeMs === undefined ? {} : { maxRetryTime: timeouts.maxRetryTimeMs }),
    },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        if (level <= logLevel.ERROR) {
          onError(`${message} ${String(fields.error ?? '')}`);
          log.error({ kafka: fields }, message);
        } else if (EXPECTED_WARNINGS.some((w) => message.startsWith(w))) log.debug({ kafka: fields }, message);
        else log.warn({ kafka: fields }, message);
      },
  });
}

const EMPTY = Buffer.alloc(0);

/** kafkajs headers as text (a header given twice: its first value). */
export function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    const one = Array.isArray(value) ? value[0] : value;
    if (one !== undefined) text[name] = one.toString();
  }
  return text;
}

/** A message as the ingester sees it. */
export function queueMessage(m: KafkaMessage): QueueMessage {
  return { offset: BigInt(m.offset), key: m.key ?? null, value: m.value ?? EMPTY, headers: textHeaders(m.headers) };
}
