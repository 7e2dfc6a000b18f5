import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { AbuseFixtures } from './abuse-fixtures.js';
import type { LiveClient } from './live-client.js';

/** What a socket did with a frame: answered it, closed, or said nothing within the wait. */
export type FrameOutcome = { kind: 'error'; error: string } | { kind: 'closed'; code: number } | { kind: 'silent' } | { kind: 'other'; type: string };

export interface HostileFrame {
  what: string;
  data: string | Buffer;
  binary: boolean;
  /** Acceptable outcomes: `error <code>`, `closed <code>`, `unsubscribed`. */
  expect: readonly string[];
}

/** The live feed's frame limit (api/live/upgrade.ts maxPayload). */
const MAX_FRAME_BYTES = 4096;

const text = (what: string, data: string, expect: readonly string[]): HostileFrame => ({ what, data, binary: false, expect });
const json = (what: string, value: unknown, expect: readonly string[]): HostileFrame => text(what, JSON.stringify(value), expect);

const notJson = fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).filter((candidate) => {
  try {
    JSON.parse(candidate);
    return false;
  } catch {
    return true;
  }
});

const BAD = ['error bad_message'];
const NOT_FOUND = ['error event_not_found'];

/** Frames no client of the protocol sends, and subscriptions to things that are no event (or someone else's). */
export function hostileFrames(f: AbuseFixtures): fc.Arbitrary<HostileFrame> {
  const othersThings = [f.confirmed.id, f.held.id, f.confirmed.ticketCode, f.customer.id, f.otherCustomer.id, f.admin.id, f.organizer.id];
  return fc.oneof(
    notJson.map((data) => text(`not JSON ${JSON.stringify(data.slice(0, 40))}`, data, BAD)),
    fc.oneof(fc.jsonValue({ maxDepth: 2 }).filter((value) => value === null || typeof value !== 'object' || Array.isArray(value)), fc.constant([{ type: 'subscribe', eventId: f.event.id }])).map((value) => json(`JSON that is not an object: ${JSON.stringify(value).slice(0, 40)}`, value, BAD)),
    fc
      .oneof(fc.constantFrom('book', 'admin', 'reservation', 'SUBSCRIBE', 'Subscribe', '__proto__', 'constructor', 'snapshot', 'error', '', ' subscribe'), fc.string({ maxLength: 20 }))
      .filter((type) => !['subscribe', 'unsubscribe', 'subscribe_queue', 'unsubscribe_queue'].includes(type))
      .map((type) => json(`unknown type ${JSON.stringify(type)}`, { type, eventId: f.event.id }, BAD)),
    fc
      .oneof(fc.constantFrom<unknown>(undefined, null, 42, true, [f.event.id], { id: f.event.id }, ''), fc.integer({ min: 101, max: 4_000 }).map((length) => 'e'.repeat(length)))
      .map((eventId) => json(`subscribe with eventId ${JSON.stringify(eventId)?.slice(0, 40)}`, { type: 'subscribe', ...(eventId === undefined ? {} : { eventId }) }, BAD)),
    // Things that are no event: unknown ids, other people's reservations, tickets and accounts.
    fc.oneof(fc.uuid(), fc.constantFrom(...othersThings), fc.constantFrom('\u0000', "' OR 1=1 --", '../events', '00000000-0000-0000-0000-000000000000', randomUUID().toUpperCase()), fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }))
      .map((eventId) => json(`subscribe to ${JSON.stringify(eventId).slice(0, 50)}`, { type: 'subscribe', eventId, customerId: f.otherCustomer.id }, NOT_FOUND)),
    fc.constantFrom(...othersThings, randomUUID()).map((eventId) => json(`unsubscribe from ${eventId}`, { type: 'unsubscribe', eventId }, ['unsubscribed'])),
    // The waiting room: queues of things that are no queued event (an event without a queue included), and bad ids.
    fc.oneof(fc.uuid(), fc.constantFrom(...othersThings, f.event.id, "' OR 1=1 --", '../events'), fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }))
      .map((eventId) => json(`subscribe_queue to ${JSON.stringify(eventId).slice(0, 50)}`, { type: 'subscribe_queue', eventId }, NOT_FOUND)),
    fc.constantFrom<unknown>(undefined, null, 42, [f.queuedEvent.id], '', 'e'.repeat(101)).map((eventId) => json(`subscribe_queue with eventId ${JSON.stringify(eventId)?.slice(0, 40)}`, { type: 'subscribe_queue', ...(eventId === undefined ? {} : { eventId }) }, BAD)),
    fc.constantFrom(...othersThings, randomUUID()).map((eventId) => json(`unsubscribe_queue from ${eventId}`, { type: 'unsubscribe_queue', eventId }, ['unsubscribed'])),
    fc.constantFrom(
      text('prototype pollution', `{"type":"subscribe","eventId":"${randomUUID()}","__proto__":{"type":"admin"}}`, NOT_FOUND),
      text('prototype pollution of the type', '{"__proto__":{"type":"subscribe","eventId":"x"}}', BAD),
      text('constructor key', `{"type":"subscribe","eventId":"${randomUUID()}","constructor":{"prototype":{"admin":true}}}`, NOT_FOUND),
    ),
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => ({ what: `binary frame of ${bytes.length} bytes`, data: Buffer.from(bytes), binary: true, expect: BAD })),
    // Bigger than the frame limit: ws closes with 1009 (message too big).
    fc.integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES * 16 }).map((size) => text(`oversized frame of ${size} bytes`, JSON.stringify({ type: 'subscribe', eventId: f.event.id, padding: 'x'.repeat(size) }), ['closed 1009'])),
    // Not UTF-8 in a text frame: ws closes with 1007 (invalid frame payload data).
    fc.constantFrom(Buffer.from([0xc3, 0x28]), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from('{"type":"subscribe","eventId":"\xed\xa0\x80"}', 'latin1')).map((data) => ({ what: `invalid UTF-8 ${data.toString('hex')}`, data, binary: false, expect: ['closed 1007'] })),
  );
}

/** What the socket does next: an answer, a close, or silence for `waitMs`. */
export async function playFrame(client: LiveClient, frame: HostileFrame, waitMs = 3_000): Promise<FrameOutcome> {
  const from = client.messages.length;
  const closed = client.closed.then((code): FrameOutcome => ({ kind: 'closed', code }));
  const answered = client.next(() => true, waitMs, from).then(
    (message): FrameOutcome => (message.type === 'error' ? { kind: 'error', error: message.error ?? '' } : { kind: 'other', type: message.type }),
    (): FrameOutcome => ({ kind: 'silent' }),
  );
  client.socket.send(frame.data, { binary: frame.binary });
  return Promise.race([closed, answered]);
}

/** The outcome in the words of `HostileFrame.expect`. */
export function outcomeLabel(outcome: FrameOutcome): string {
  if (outcome.kind === 'closed') return `closed ${outcome.code}`;
  if (outcome.kind === 'error') return `error ${outcome.error}`;
  if (outcome.kind === 'other') return outcome.type;
  return 'silent';
}

/** Handshake tokens that must be refused: the forged ones, and junk. */
export function hostileSocketTokens(forged: readonly string[]): string[] {
  return [...forged, 'x', '%00', 'Bearer x', '\u0000', 'a'.repeat(2_000), '🎟️', "' OR 1=1 --"];
}
