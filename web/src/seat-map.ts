import type { ReservationList } from '../../api/contract/index.js';
import type { Counts, SnapshotMessage } from '../../api/live/protocol.js';
import { openStatuses } from '../../lib/reservations.js';
import { MAX_SEATS_PER_RESERVATION, parseSeatId, rowLetter, seatId, type SeatStatus } from '../../lib/seating.js';
import { api } from './api-client.js';
import { updateCheckout } from './checkout.js';
import { $, element } from './dom.js';
import type { ChangeMessage } from './live-feed.js';
import { showResult } from './result.js';
import { state } from './state.js';

/** Reserved seating: one button per seat, row by row, every seat available until the snapshot. */
export function buildSeatMap({ rows, seatsPerRow }: { rows: number; seatsPerRow: number }): void {
  const map = $('seat-map');
  map.replaceChildren();
  state.seats.clear();
  for (let row = 0; row < rows; row++) {
    const line = document.createElement('div');
    line.className = 'row';
    const label = document.createElement('span');
    label.className = 'row-label';
    label.textContent = rowLetter(row);
    line.append(label);
    for (let number = 1; number <= seatsPerRow; number++) {
      const id = seatId(row, number);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'seat';
      button.dataset.seat = id;
      button.textContent = String(number);
      button.addEventListener('click', () => toggleSeat(id));
      line.append(button);
      state.seats.set(id, { status: 'available', button });
      renderSeat(id);
    }
    map.append(line);
  }
}

export function applySnapshot(message: SnapshotMessage): void {
  if ('seats' in message) {
    for (const seat of message.seats) setSeatStatus(seat.id, seat.status);
  } else {
    showAvailability(message);
  }
}

export function applyChange(message: ChangeMessage): void {
  if (message.type === 'seats') for (const change of message.changes) setSeatStatus(change.id, change.status);
  else showAvailability(message);
}

function setSeatStatus(id: string, status: SeatStatus): void {
  const seat = state.seats.get(id);
  if (!seat) return;
  seat.status = status;
  if (status !== 'available' && state.selected.has(id) && !state.booking) {
    state.selected.delete(id);
    showResult('failed', `Seat ${id} was just taken by someone else.`);
    updateCheckout();
  }
  renderSeat(id);
}

export function renderSeat(id: string): void {
  const seat = state.seats.get(id);
  if (!seat) return;
  const { button, status } = seat;
  const selected = state.selected.has(id);
  const mine = state.mine.has(id) && status !== 'available';
  const offered = state.offer?.seats?.includes(id) === true;
  const parsed = parseSeatId(id);
  button.dataset.status = status;
  button.dataset.mine = String(mine);
  button.dataset.offered = String(offered);
  button.setAttribute('aria-pressed', String(selected));
  button.disabled = state.booking || (status !== 'available' && !selected);
  const described = offered ? 'suggested for you (held)' : mine ? `yours (${status})` : selected ? 'selected' : status;
  button.setAttribute('aria-label', `Row ${parsed?.row ?? ''} seat ${parsed?.number ?? ''}, ${described}`);
  button.title = `${id}: ${described}`;
}

export function renderAllSeats(): void {
  for (const id of state.seats.keys()) renderSeat(id);
}

function toggleSeat(id: string): void {
  const seat = state.seats.get(id);
  if (!seat || state.booking) return;
  if (state.selected.has(id)) state.selected.delete(id);
  else if (seat.status !== 'available') return;
  else if (state.selected.size >= MAX_SEATS_PER_RESERVATION) return showResult('failed', `At most ${MAX_SEATS_PER_RESERVATION} seats per booking.`);
  else state.selected.add(id);
  renderSeat(id);
  updateCheckout();
}

/** General admission: the counts, and how many tickets the form may ask for. */
export function showAvailability({ capacity, available }: Pick<Counts, 'available'> & { capacity?: number }): void {
  const seating = state.event?.seating;
  const total = capacity ?? (seating?.type === 'general' ? seating.capacity : 0);
  $('ga-available').textContent = String(available);
  $('ga-capacity').textContent = String(total);
  $('ga-meter').style.width = `${total ? (100 * available) / total : 0}%`;
  element('ga-quantity', HTMLInputElement).max = String(Math.max(1, Math.min(MAX_SEATS_PER_RESERVATION, available)));
  updateCheckout();
}

/** Marks the seats of this user's live reservations for the open event as theirs. */
export async function loadMine(): Promise<void> {
  if (!state.token || !state.event || state.event.seating.type !== 'reserved') return;
  const eventId = state.event.id;
  const answer = await api<ReservationList>('GET', `/api/reservations?eventId=${encodeURIComponent(eventId)}`);
  if (!answer.ok || state.event?.id !== eventId) return;
  const previous = [...state.mine];
  state.mine.clear();
  for (const reservation of answer.body.reservations) {
    if ((openStatuses as readonly string[]).includes(reservation.status)) for (const id of reservation.seats ?? []) state.mine.add(id);
  }
  for (const id of new Set([...previous, ...state.mine])) renderSeat(id);
}

export function forgetMine(): void {
  state.mine.clear();
  renderAllSeats();
}
