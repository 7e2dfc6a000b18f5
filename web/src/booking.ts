import type { PendingReservation, Reservation } from '../../api/contract/index.js';
import { api } from './api-client.js';
import { updateCheckout } from './checkout.js';
import { $, element } from './dom.js';
import { bySeat } from './format.js';
import { showConfirmed, showFailed, showResult, type Refusal } from './result.js';
import { renderAllSeats } from './seat-map.js';
import { logOut } from './session.js';
import { state } from './state.js';
import { admissionHeaders, admissionRefused } from './waiting-room.js';

const POLL_MS = 1000;

type Outcome = { confirmed: true; reservation: Reservation } | { confirmed: false; refusal: Refusal };

/** Submits the checkout form: books the picked seats (or the quantity) with the chosen test card. */
export async function book(submitEvent: SubmitEvent): Promise<void> {
  submitEvent.preventDefault();
  const event = state.event;
  if (!event || state.booking) return;
  const reserved = event.seating.type === 'reserved';
  const seats = [...state.selected].sort(bySeat);
  const paymentToken = element('card', HTMLSelectElement).value;
  const request = { eventId: event.id, paymentToken, ...(reserved ? { seats } : { quantity: Number(element('ga-quantity', HTMLInputElement).value) }) };
  setBooking(true);
  try {
    const answer = await api<Reservation | PendingReservation>('POST', '/api/reservations', request, admissionHeaders(event.id));
    if (answer.status === 401) return await logOut('Log in again to book.');
    let outcome: Outcome;
    if (!answer.ok) {
      outcome = { confirmed: false, refusal: answer.body };
      admissionRefused(answer.body.error);
    }
    else if (answer.status === 202) outcome = await waitForEnd(answer.body.id);
    else outcome = outcomeOf(answer.body as Reservation);
    if (outcome.confirmed) {
      if (reserved) for (const id of seats) state.mine.add(id);
      showConfirmed(outcome.reservation);
    } else {
      showFailed(outcome.refusal);
    }
  } catch (error) {
    showResult('failed', `The request did not go through: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    state.selected.clear();
    setBooking(false);
  }
}

function outcomeOf(reservation: Reservation): Outcome {
  if (reservation.status === 'confirmed') return { confirmed: true, reservation };
  if (reservation.status === 'failed') return { confirmed: false, refusal: { error: reservation.failureReason, message: 'The reservation failed.', details: { reservation } } };
  return { confirmed: false, refusal: {} };
}

/** The saga outlived the request (202): follow the reservation until it ends. */
async function waitForEnd(reservationId: string): Promise<Outcome> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const answer = await api<Reservation>('GET', `/api/reservations/${encodeURIComponent(reservationId)}`);
    if (!answer.ok) return { confirmed: false, refusal: answer.body };
    if (answer.body.status !== 'pending') return outcomeOf(answer.body);
  }
}

/** Disables the page's booking controls while a request is out. */
export function setBooking(booking: boolean): void {
  state.booking = booking;
  $('working').hidden = !booking;
  if (booking) $('result').hidden = true;
  renderAllSeats();
  updateCheckout();
}
