import type { PendingReservation, Reservation } from '../../api/contract/index.js';
import { api } from './api-client.js';
import { setBooking } from './booking.js';
import { updateCheckout } from './checkout.js';
import { $, element } from './dom.js';
import { bySeat, formatMoney } from './format.js';
import { showConfirmed, showFailed, showResult } from './result.js';
import { renderSeat } from './seat-map.js';
import { logOut } from './session.js';
import { state } from './state.js';
import { admissionHeaders, admissionRefused } from './waiting-room.js';

const POLL_MS = 1000;

/**
 * "Best available": the house picks the seats (docs/best-available.md). Asking holds them (a
 * reservation without a payment token), so what the map shows is what the buyer gets; booking then
 * pays for that hold, releasing it cancels it.
 */
export async function findBestAvailable(): Promise<void> {
  const event = state.event;
  if (!event || state.booking || state.offer) return;
  const quantity = Number(element('ba-quantity', HTMLInputElement).value);
  setBooking(true);
  try {
    const answer = await api<Reservation | PendingReservation>('POST', '/api/reservations', { eventId: event.id, quantity, bestAvailable: true }, admissionHeaders(event.id));
    if (answer.status === 401) return await logOut('Log in again to book.');
    if (!answer.ok) {
      admissionRefused(answer.body.error);
      return showFailed(answer.body);
    }
    const held = answer.status === 202 ? await followUntilHeld(answer.body.id) : (answer.body as Reservation);
    if (!held) return;
    if (held.status !== 'held') return showFailed({ error: held.failureReason ?? held.status, message: 'No seats could be held.' });
    state.selected.clear();
    setOffer(held);
  } catch (error) {
    showResult('failed', `The request did not go through: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    setBooking(false);
  }
}

/** Pays for the offered seats with the chosen test card. */
export async function bookOffer(): Promise<void> {
  const offer = state.offer;
  if (!offer || state.booking) return;
  setBooking(true);
  try {
    const answer = await api<Reservation>('POST', `/api/reservations/${encodeURIComponent(offer.id)}/pay`, { paymentToken: element('card', HTMLSelectElement).value });
    if (answer.status === 401) return await logOut('Log in again to book.');
    // Paid or not, the hold is over: a refused payment releases the seats.
    setOffer(undefined);
    if (!answer.ok) return showFailed(answer.body);
    for (const id of answer.body.seats ?? []) state.mine.add(id);
    showConfirmed(answer.body);
  } finally {
    setBooking(false);
  }
}

/** Gives the offered seats back. */
export async function releaseOffer(): Promise<void> {
  const offer = state.offer;
  if (!offer || state.booking) return;
  setBooking(true);
  try {
    const answer = await api<Reservation>('POST', `/api/reservations/${encodeURIComponent(offer.id)}/cancel`);
    setOffer(undefined);
    if (answer.ok) showResult('ok', `Released ${(offer.seats ?? []).join(', ')}.`);
    else showFailed(answer.body);
  } finally {
    setBooking(false);
  }
}

/** The offer's reservation ended elsewhere (it expired, or was cancelled on another page). */
export function offerEnded(reservationId: string): void {
  if (state.offer?.id !== reservationId) return;
  setOffer(undefined);
  showResult('failed', 'The seats held for you were released.');
}

export function setOffer(offer: Reservation | undefined): void {
  const before = state.offer?.seats ?? [];
  state.offer = offer;
  for (const id of new Set([...before, ...(offer?.seats ?? [])])) renderSeat(id);
  $('ba-offer').hidden = !offer;
  if (offer && state.event) {
    const seats = [...(offer.seats ?? [])].sort(bySeat);
    const until = offer.expiresAt ? ` until ${new Date(offer.expiresAt).toLocaleTimeString()}` : '';
    $('ba-offer-text').textContent = `Held for you${until}: ${seats.join(', ')} — ${formatMoney(offer.amountCents, offer.currency)}`;
  }
  updateCheckout();
}

/** A 202: follow the reservation until its seats are held (or it ended). */
async function followUntilHeld(reservationId: string): Promise<Reservation | undefined> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const answer = await api<Reservation>('GET', `/api/reservations/${encodeURIComponent(reservationId)}`);
    if (!answer.ok) {
      showFailed(answer.body);
      return undefined;
    }
    if (answer.body.status !== 'pending') return answer.body;
  }
}
