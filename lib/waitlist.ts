/**
 * The waiting list's shared vocabulary (docs/waiting-list.md): the per-event workflow's id, its
 * input and messages' payloads, what an entry keeps to turn into a hold of its own. Pure: workflow
 * code imports it.
 */
import type { ReservationRequest } from './reservations.js';

export const waitlistWorkflowId = (eventId: string): string => `event-${eventId}-waitlist`;

/** The name of the signal the seat release sends when it has handed seats to the waiting list. */
export const OFFERS_MADE_SIGNAL = 'offersMade';

/**
 * The name of the signal the API sends when it has cancelled the event: the list reads the
 * catalogue at once, closes and tells everyone waiting (docs/waiting-list.md).
 */
export const EVENT_CANCELLED_SIGNAL = 'eventCancelled';

/** Closed entries handed to the cancellation notice per activity call. */
export const CLOSED_ENTRIES_PER_CALL = 200;

/** A page of the customers whose entries a closed list holds, in line order. */
export interface ClosedEntries {
  customerIds: string[];
  /** The last entry's place: where the next page starts; undefined when the page was empty. */
  lastPlace?: string;
}

/**
 * What an entry keeps of the event at join time, so that an offer becomes a reservation saga like
 * any other: the request without its id, seats, hold time and hash (the offer decides those).
 */
export type OfferTemplate = Pick<ReservationRequest, 'eventName' | 'seating' | 'capacity' | 'rows' | 'seatsPerRow' | 'amountCents' | 'currency' | 'startsAt'>;

export interface JoinRequest {
  customerId: string;
  quantity: number;
  template: OfferTemplate;
}

export interface WaitlistPlace {
  eventId: string;
  quantity: number;
  /** 1 for the first in line. */
  position: number;
  /** False when the customer was already waiting: same place, quantity updated. */
  created: boolean;
}

export interface WaitlistInput {
  eventId: string;
  /** When the event starts, as last read from the catalogue (each run reads it again). */
  startsAt?: string;
}

export type WaitlistEnd = { ended: 'started' | 'cancelled' | 'missing' };

/** An offer the seat release made (in its own transaction) that its customer has not been told of. */
export interface PendingOffer {
  reservationId: string;
  eventId: string;
  customerId: string;
  seatIds: string[];
  quantity: number;
  expiresAt: string;
  template: OfferTemplate;
}

/** The request an offer's saga is started with: a hold (no payment token) for the offered seats. */
export function offerRequest(offer: PendingOffer, holdTtlMs: number): ReservationRequest {
  const { template } = offer;
  return {
    reservationId: offer.reservationId,
    eventId: offer.eventId,
    customerId: offer.customerId,
    seatIds: offer.seatIds,
    quantity: offer.quantity,
    amountCents: template.amountCents,
    currency: template.currency,
    eventName: template.eventName,
    seating: template.seating,
    capacity: template.capacity,
    ...(template.rows !== undefined ? { rows: template.rows } : {}),
    ...(template.seatsPerRow !== undefined ? { seatsPerRow: template.seatsPerRow } : {}),
    ...(template.startsAt !== undefined ? { startsAt: template.startsAt } : {}),
    holdTtlMs,
    // No HTTP request made it: the hash names the offer, so a pay request cannot be confused with it.
    requestHash: `waitlist-offer:${offer.reservationId}`,
  };
}

export const offerNoticeKey = (reservationId: string): string => `offer:${reservationId}`;
