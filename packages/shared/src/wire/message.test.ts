import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { storedEvent } from '../event.ts';
import { decodeMessage, encodeMessages, messageEvents, ROW_BINARY_MESSAGE } from './message.ts';

const event = (i: number) =>
  storedEvent({
    event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    url: `https://unit.example/${'x'.repeat(i % 50)}`,
    props: { plan: `p${i}`, 'ü-key': 'ünïcode' },
  });

describe('queue messages', () => {
  it('packs events into RowBinary messages with their count, and reads them back in order', () => {
    const events = Array.from({ length: 300 }, (_, i) => event(i));
    const messages = encodeMessages(events);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message?.[0]).toBe(ROW_BINARY_MESSAGE);
    expect(message && messageEvents(message)).toBe(300);
    expect(message && decodeMessage(message)).toEqual(events);
  });

  it('closes a message once it reaches the byte limit, never splitting an event', () => {
    const events = Array.from({ length: 50 }, (_, i) => event(i));
    const messages = encodeMessages(events, 2000);
    expect(messages.length).toBeGreaterThan(3);
    expect(messages.every((m) => m.length < 2000 + 400)).toBe(true);
    expect(messages.map(messageEvents).reduce((a, b) => a + b)).toBe(50);
    expect(messages.flatMap(decodeMessage)).toEqual(events);
  });

  it('reads a JSON event as a message of one', () => {
    const json = Buffer.from(JSON.stringify(event(1)));
    expect(messageEvents(json)).toBe(1);
    expect(decodeMessage(json)).toEqual([event(1)]);
  });

  it('refuses a truncated message, trailing bytes, an empty count and garbage', () => {
    const [message] = encodeMessages([event(1), event(2)]);
    if (!message) throw new Error('no message');
    for (const bad of [
      message.subarray(0, message.length - 1),
      Buffer.concat([message, Buffer.from([0])]),
      Buffer.from([ROW_BINARY_MESSAGE, 0]),
      Buffer.from([ROW_BINARY_MESSAGE, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from('not json'),
    ]) {
      expect(() => decodeMessage(bad)).toThrow(ValidationError);
    }
  });

  it('keeps a props key named __proto__ as an own key', () => {
    const e = storedEvent({ props: JSON.parse('{"__proto__":"x"}') as Record<string, string> });
    const [message] = encodeMessages([e]);
    const [back] = message ? decodeMessage(message) : [];
    expect(Object.getPrototypeOf(back?.props)).toBe(Object.prototype);
    expect(Object.keys(back?.props ?? {})).toEqual(['__proto__']);
  });
});
