import type { Reservation, WaitlistEntry } from '../../api/contract/index.js';
import type { OfferMessage } from '../../api/live/protocol.js';
import { api } from './api-client.js';
import { $, element } from './dom.js';
import { showConfirmed, showFailed, showResult } from './result.js';
import { state } from './state.js';

/**
 * The waiting list of a sold-out event (docs/waiting-list.md): a customer joins for a quantity and
 * sees their place; when seats come free they are held for them (an offer, pushed over the socket),
 * and they pay or decline it here.
 */
let entry: WaitlistEntry | undefined;

const path = (eventId: string) => `/api/events/${encodeURIComponent(eventId)}/waitlist`;

/** After opening an event, logging in or out, or news of an offer: the caller's entry, read again. */
export async function loadWaitlist(): Promise<void> {
  const event = state.event;
  entry = undefined;
  if (event && state.user?.role === 'customer') {
    const answer = await api<WaitlistEntry>('GET', `${path(event.id)}/me`);
    if (answer.ok && state.event?.id === event.id) entry = answer.body;
  }
  render();
}

function render(): void {
  const event = state.event;
  const soldOut = event?.status === 'sold_out';
  const panel = $('waitlist');
  panel.hidden = !event || event.status === 'cancelled' || state.user?.role !== 'customer' || (!soldOut && !entry);
  const waiting = entry?.position != null;
  $('wl-join-form').hidden = waiting || Boolean(entry?.offer);
  element('wl-leave', HTMLButtonElement).hidden = !waiting;
  $('wl-status').textContent = waiting && entry ? `You are number ${entry.position} in line for ${entry.quantity} ${entry.quantity === 1 ? 'seat' : 'seats'}.` : soldOut ? 'Sold out. Join the waiting list: seats that come free are held for the first in line.' : '';
  const offer = entry?.offer;
  $('wl-offer').hidden = !offer;
  if (offer) $('wl-offer-text').textContent = `Seats came free: ${entry?.quantity ?? ''} held for you until ${new Date(offer.expiresAt).toLocaleTimeString()}.`;
}

export async function joinWaitlist(): Promise<void> {
  const event = state.event;
  if (!event) return;
  const quantity = Number(element('wl-quantity', HTMLInputElement).value);
  const answer = await api<WaitlistEntry>('POST', path(event.id), { quantity });
  if (!answer.ok) return showFailed(answer.body);
  entry = answer.body;
  render();
}

export async function leaveWaitlist(): Promise<void> {
  const event = state.event;
  if (!event) return;
  const answer = await api<{ left: boolean }>('DELETE', path(event.id));
  if (!answer.ok) return showFailed(answer.body);
  await loadWaitlist();
}

/** Pays the offered hold with the chosen test card, as any held reservation is paid. */
export async function payOffer(): Promise<void> {
  const offer = entry?.offer;
  if (!offer) return;
  const answer = await api<Reservation>('POST', `/api/reservations/${encodeURIComponent(offer.reservationId)}/pay`, { paymentToken: element('card', HTMLSelectElement).value });
  if (answer.ok) showConfirmed(answer.body);
  else showFailed(answer.body);
  await loadWaitlist();
}

/** Declines the offer: the seats go to the next in line. */
export async function declineOffer(): Promise<void> {
  const offer = entry?.offer;
  if (!offer) return;
  const answer = await api<Reservation>('POST', `/api/reservations/${encodeURIComponent(offer.reservationId)}/cancel`);
  if (answer.ok) showResult('ok', 'Declined: the seats go to the next in line.');
  else showFailed(answer.body);
  await loadWaitlist();
}

/** An offer pushed over the socket: shown at once if it is for the event on screen. */
export function receiveOffer(message: OfferMessage): void {
  if (state.event?.id === message.eventId) void loadWaitlist();
}

/**
 * A reservation of this user changed: the offer on screen (paid, expired...), or, while waiting
 * for this event, perhaps a new offer (a second path to it besides the offer push), so read again.
 */
export function waitlistReservationChanged(reservationId: string, eventId: string): void {
  const waiting = entry?.position != null && state.event?.id === eventId;
  if (entry?.offer?.reservationId === reservationId || waiting) void loadWaitlist();
}
