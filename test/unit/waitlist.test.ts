import { describe, expect, it } from 'vitest';
import { offerMessage } from '../../activities/waitlist-notices.js';
import { loadConfig } from '../../lib/config.js';
import { offerNoticeKey, offerRequest, waitlistWorkflowId, type PendingOffer } from '../../lib/waitlist.js';

const offer: PendingOffer = {
  reservationId: '11111111-1111-4111-8111-111111111111',
  eventId: '22222222-2222-4222-8222-222222222222',
  customerId: '33333333-3333-4333-8333-333333333333',
  seatIds: ['B-4', 'B-5'],
  quantity: 2,
  expiresAt: '2026-12-24T19:30:00.000Z',
  template: { eventName: 'Nutcracker', seating: 'reserved', capacity: 40, rows: 4, seatsPerRow: 10, amountCents: 5000, currency: 'EUR', startsAt: '2026-12-25T19:00:00.000Z' },
};

describe('waiting-list offers', () => {
  it('become a hold of the offered seats for the time left, priced as the customer joined', () => {
    expect(offerRequest(offer, 4000)).toEqual({
      reservationId: offer.reservationId,
      eventId: offer.eventId,
      customerId: offer.customerId,
      seatIds: ['B-4', 'B-5'],
      quantity: 2,
      amountCents: 5000,
      currency: 'EUR',
      eventName: 'Nutcracker',
      seating: 'reserved',
      capacity: 40,
      rows: 4,
      seatsPerRow: 10,
      startsAt: '2026-12-25T19:00:00.000Z',
      holdTtlMs: 4000,
      requestHash: `waitlist-offer:${offer.reservationId}`,
    });
    expect(offerRequest(offer, 4000)).not.toHaveProperty('paymentToken');
  });

  it('general admission carries no room', () => {
    const general = offerRequest({ ...offer, seatIds: ['GA-7'], quantity: 1, template: { ...offer.template, seating: 'general', rows: undefined, seatsPerRow: undefined } }, 1000);
    expect(general).not.toHaveProperty('rows');
    expect(general).not.toHaveProperty('seatsPerRow');
  });

  it('are told once per reservation, naming the seats and the expiry (the date only when it is another day)', () => {
    expect(offerNoticeKey(offer.reservationId)).toBe(`offer:${offer.reservationId}`);
    expect(offerMessage(offer, new Date('2026-12-24T19:20:00Z'))).toBe('Seats came free for “Nutcracker”: seats B-4, B-5 are held for you until 19:30 UTC. Pay to keep them; unpaid, they go to the next in line.');
    expect(offerMessage({ ...offer, quantity: 1, template: { ...offer.template, seating: 'general' } }, new Date('2026-12-23T10:00:00Z'))).toBe(
      'Seats came free for “Nutcracker”: 1 ticket is held for you until 2026-12-24 19:30 UTC. Pay to keep them; unpaid, they go to the next in line.',
    );
  });

  it('one workflow per event, and a configurable offer time (10 minutes unless set)', () => {
    expect(waitlistWorkflowId(offer.eventId)).toBe(`event-${offer.eventId}-waitlist`);
    expect(loadConfig({}).WAITLIST_OFFER_TTL_MS).toBe(600_000);
    expect(loadConfig({ WAITLIST_OFFER_TTL_MS: '2500' }).WAITLIST_OFFER_TTL_MS).toBe(2500);
    expect(() => loadConfig({ WAITLIST_OFFER_TTL_MS: '0' })).toThrow(/WAITLIST_OFFER_TTL_MS/);
  });
});
