import { createElement as h, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import TextInput from 'ink-text-input';
import type { ErrorBody, Event, Reservation } from '../api/contract/index.js';
import { rowLetter, seatId, type SeatStatus } from '../lib/seating.js';
import { bySeat, formatDate, formatMoney } from './format.js';
import type { FeedState } from './live-feed.js';
import { lookOf, looks, testCards, type Cursor, type Look } from './seat-grid.js';

export type Notice = { kind: 'info' | 'error' | 'ok'; text: string };
export type BookingResult = { kind: 'booked'; reservation: Reservation } | { kind: 'refused'; body: Partial<ErrorBody> };

const noticeColor = { info: 'white', error: 'red', ok: 'green' } as const;

export function frame(title: string, user: string | undefined, body: ReactNode, keys: string, notice: Notice | undefined, busy: string | undefined): ReactNode {
  return h(
    Box,
    { flexDirection: 'column' },
    h(Box, { justifyContent: 'space-between' }, h(Text, { bold: true, color: 'cyan' }, `Boxoffice · ${title}`), h(Text, { dimColor: true }, user ? `Signed in as ${user}` : 'Not signed in')),
    h(Box, { flexDirection: 'column', marginY: 1 }, body),
    busy ? h(Text, { color: 'yellow' }, busy) : null,
    notice ? h(Text, { color: noticeColor[notice.kind] }, notice.text) : null,
    h(Text, { dimColor: true }, keys),
  );
}

export function loginView(props: { email: string; password: string; field: 'email' | 'password'; setEmail(value: string): void; setPassword(value: string): void; submitEmail(): void; submitPassword(): void }): ReactNode {
  return h(
    Box,
    { flexDirection: 'column' },
    h(Text, null, 'Log in. Leave the email empty and press Enter to use the demo customer (customer@boxoffice.test).'),
    h(Box, null, h(Text, null, 'Email:    '), h(TextInput, { value: props.email, onChange: props.setEmail, onSubmit: props.submitEmail, focus: props.field === 'email', showCursor: props.field === 'email' })),
    props.field === 'password'
      ? h(Box, null, h(Text, null, 'Password: '), h(TextInput, { value: props.password, onChange: props.setPassword, onSubmit: props.submitPassword, mask: '*' }))
      : null,
  );
}

/** The visible slice of a long list around the selected line. */
function windowOf<T>(items: readonly T[], selected: number, size: number): { start: number; items: T[] } {
  const start = Math.max(0, Math.min(selected - Math.floor(size / 2), items.length - size));
  return { start, items: items.slice(start, start + size) };
}

export function eventListView(props: { events: readonly Event[]; selected: number; filter: string; filtering: boolean; height: number }): ReactNode {
  const { start, items } = windowOf(props.events, props.selected, props.height);
  return h(
    Box,
    { flexDirection: 'column' },
    h(Text, null, props.filtering ? `Filter: ${props.filter}_` : props.filter ? `Filter: ${props.filter} (/ to change)` : `${props.events.length} events on sale (/ to filter)`),
    props.events.length === 0 ? h(Text, { color: 'yellow' }, props.filter ? 'No event matches the filter.' : 'No events on sale.') : null,
    ...items.map((event, offset) => {
      const chosen = start + offset === props.selected;
      const left = `${event.availability.available} of ${event.availability.total} left`;
      return h(Text, { key: event.id, color: chosen ? 'cyan' : undefined, inverse: chosen }, `${chosen ? '>' : ' '} ${event.name} · ${event.venue} · ${formatDate(event.startsAt)} · ${left}${event.status === 'sold_out' ? ' · sold out' : ''}`);
    }),
  );
}

const feedText: Record<FeedState, [string, string]> = {
  connecting: ['yellow', 'Connecting…'],
  loading: ['yellow', 'Loading the seat map…'],
  live: ['green', 'Live'],
  offline: ['red', 'Offline'],
};

/** One seat: three columns, brackets around the cursor's. */
function seatCell(id: string, look: Look, atCursor: boolean): ReactNode {
  const { glyph, color } = looks[look];
  return h(Text, { key: id, color, bold: atCursor || look === 'selected' }, atCursor ? `[${glyph}]` : ` ${glyph} `);
}

export interface EventViewProps {
  event: Event;
  seats: ReadonlyMap<string, SeatStatus>;
  counts: { available: number; held: number; sold: number };
  mine: ReadonlySet<string>;
  selected: ReadonlySet<string>;
  cursor: Cursor;
  card: number;
  quantity: number;
  feed: { state: FeedState; detail?: string | undefined };
  result: BookingResult | undefined;
}

export function eventView(props: EventViewProps): ReactNode {
  const { event } = props;
  const [color, text] = feedText[props.feed.state];
  const card = testCards[props.card] ?? testCards[0];
  const lines: ReactNode[] = [
    h(Text, { key: 'title', bold: true }, event.name),
    h(Text, { key: 'meta' }, `${event.venue} · ${formatDate(event.startsAt)} · ${formatMoney(event.priceCents, event.currency)} per ticket`),
    h(Text, { key: 'feed', color }, `${text}${props.feed.detail ? ` — ${props.feed.detail}` : ''}`),
  ];
  let count: number;
  if (event.seating.type === 'reserved') {
    const { rows, seatsPerRow } = event.seating;
    const numbers = Array.from({ length: seatsPerRow }, (_, index) => String(index + 1).padStart(2).padEnd(3)).join('');
    lines.push(h(Text, { key: 'numbers', dimColor: true }, `  ${numbers}`));
    for (let row = 0; row < rows; row++) {
      const cells: ReactNode[] = [];
      for (let column = 0; column < seatsPerRow; column++) {
        const id = seatId(row, column + 1);
        const status = props.seats.get(id) ?? 'available';
        cells.push(seatCell(id, lookOf(status, props.mine.has(id), props.selected.has(id)), props.cursor.row === row && props.cursor.column === column));
      }
      lines.push(h(Box, { key: `row-${row}` }, h(Text, null, `${rowLetter(row)} `), ...cells));
    }
    lines.push(
      h(
        Box,
        { key: 'legend', gap: 2 },
        ...(Object.keys(looks) as Look[]).map((look) => h(Text, { key: look, color: looks[look].color }, `${looks[look].glyph} ${looks[look].label}`)),
      ),
    );
    const cursorId = seatId(props.cursor.row, props.cursor.column + 1);
    const cursorStatus = props.seats.get(cursorId) ?? 'available';
    lines.push(h(Text, { key: 'cursor' }, `Seat ${cursorId}: ${props.mine.has(cursorId) && cursorStatus !== 'available' ? `yours (${cursorStatus})` : cursorStatus}`));
    const picked = [...props.selected].sort(bySeat);
    count = picked.length;
    lines.push(h(Text, { key: 'picked' }, count === 0 ? 'Pick seats with space.' : `Picked ${count}: ${picked.join(', ')} — ${formatMoney(count * event.priceCents, event.currency)}`));
  } else {
    count = props.quantity;
    lines.push(h(Text, { key: 'counts' }, `General admission: ${props.counts.available} of ${event.seating.capacity} left (held ${props.counts.held}, sold ${props.counts.sold})`));
    lines.push(h(Text, { key: 'quantity' }, `Tickets: ${count} (+/-) — ${formatMoney(count * event.priceCents, event.currency)}`));
  }
  lines.push(h(Text, { key: 'card' }, `Card: ${card.token} — ${card.label} (t to change)`));
  if (props.result) lines.push(resultView(props.result));
  return h(Box, { flexDirection: 'column' }, ...lines);
}

function resultView(result: BookingResult): ReactNode {
  if (result.kind === 'booked') {
    const { reservation } = result;
    return h(
      Box,
      { key: 'result', flexDirection: 'column', borderStyle: 'round', borderColor: 'green', paddingX: 1 },
      h(Text, { color: 'green', bold: true }, `Booked! Reservation ${reservation.id} is ${reservation.status}, ${formatMoney(reservation.amountCents, reservation.currency)}.`),
      h(Text, null, 'Your tickets:'),
      ...reservation.tickets.map((ticket) => h(Text, { key: ticket.code }, `  ${ticket.code}${ticket.seat && !ticket.seat.startsWith('GA-') ? `  seat ${ticket.seat}` : ''}`)),
    );
  }
  return h(
    Box,
    { key: 'result', flexDirection: 'column', borderStyle: 'round', borderColor: 'red', paddingX: 1 },
    h(Text, { color: 'red', bold: true }, `Not booked. ${result.body.message ?? 'Something went wrong.'}`),
    h(Text, { dimColor: true }, `Reason: ${result.body.error ?? 'unknown'}`),
  );
}

export function reservationsView(props: { reservations: readonly Reservation[]; names: ReadonlyMap<string, string>; selected: number; height: number }): ReactNode {
  const { start, items } = windowOf(props.reservations, props.selected, props.height);
  return h(
    Box,
    { flexDirection: 'column' },
    h(Text, null, props.reservations.length === 0 ? 'You have no reservations yet.' : `Your reservations (${props.reservations.length}), newest first:`),
    ...items.map((reservation, offset) => {
      const chosen = start + offset === props.selected;
      const what = reservation.seats ? reservation.seats.join(' ') : `${reservation.quantity ?? 0} tickets`;
      const refund = reservation.refundedCents > 0 ? `, refunded ${formatMoney(reservation.refundedCents, reservation.currency)}` : '';
      return h(
        Text,
        { key: reservation.id, color: chosen ? 'cyan' : undefined, inverse: chosen },
        `${chosen ? '>' : ' '} ${reservation.id.slice(0, 8)} ${reservation.status.padEnd(9)} ${props.names.get(reservation.eventId) ?? reservation.eventId.slice(0, 8)} · ${what} · ${formatMoney(reservation.amountCents, reservation.currency)}${refund}`,
      );
    }),
  );
}
