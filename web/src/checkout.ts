import { MAX_SEATS_PER_RESERVATION } from '../../lib/seating.js';
import { $, element } from './dom.js';
import { bySeat, formatMoney } from './format.js';
import { state } from './state.js';

/** How many tickets the form asks for: the picked seats, or the general-admission quantity. */
export function ticketCount(): number {
  if (state.event?.seating.type === 'reserved') return state.selected.size;
  return Number(element('ga-quantity', HTMLInputElement).value) || 0;
}

/** The selection line, the log-in form and the Book button, after any change. */
export function updateCheckout(): void {
  const event = state.event;
  if (!event) return;
  const reserved = event.seating.type === 'reserved';
  const count = ticketCount();
  const picked = [...state.selected].sort(bySeat);
  $('selection').textContent = reserved
    ? count === 0
      ? `Pick your seats on the map (up to ${MAX_SEATS_PER_RESERVATION}).`
      : `${count} seat${count > 1 ? 's' : ''}: ${picked.join(', ')} — ${formatMoney(count * event.priceCents, event.currency)}`
    : `${count} ticket${count === 1 ? '' : 's'} — ${formatMoney(count * event.priceCents, event.currency)}`;
  $('login').hidden = Boolean(state.token);
  const book = element('book', HTMLButtonElement);
  book.disabled = state.booking || !state.token || count < 1 || count > MAX_SEATS_PER_RESERVATION;
  book.textContent = state.token ? 'Book' : 'Log in to book';
  const find = element('ba-find', HTMLButtonElement);
  const quantity = Number(element('ba-quantity', HTMLInputElement).value);
  find.disabled = state.booking || !state.token || state.offer !== undefined || !(quantity >= 1 && quantity <= MAX_SEATS_PER_RESERVATION);
  find.textContent = state.token ? 'Find the best seats' : 'Log in to find seats';
  for (const id of ['ba-confirm', 'ba-release']) element(id, HTMLButtonElement).disabled = state.booking;
}
