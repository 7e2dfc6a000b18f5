import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { reservations } from '../../db/schema/booking.js';
import { events } from '../../db/schema/catalog.js';
import { tickets } from '../../db/schema/ticketing.js';
import { MAX_SEATS_PER_RESERVATION, unknownSeatIds } from '../../lib/seating.js';
import { recordOfSnapshot, type ReservationRecord, type ReservationSnapshot, type ReservationStatus } from '../../lib/reservations.js';
import type { AuthUser } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { Failure, failureOfReason, failures } from '../../lib/failures.js';
import { DomainError, Forbidden, IdempotencyKeyReused, NotFound, ReservationFailed, ReservationNotCancellable, ValidationFailed } from '../errors.js';
import { seatingOf } from '../read-model.js';
import { ReservationClient, requestHash, reservationIdFor } from '../reservation-client.js';
import { route } from '../route.js';
import { findEvent } from './events.js';

const paymentToken = z.string().min(1).max(200);

const createReservationBody = z
  .strictObject({
    eventId: z.string().min(1),
    seats: z
      .array(z.string().min(1).max(10))
      .min(1)
      .max(MAX_SEATS_PER_RESERVATION)
      .refine((seats) => new Set(seats).size === seats.length, 'Each seat may be asked for once')
      .optional(),
    quantity: z.int().min(1).max(MAX_SEATS_PER_RESERVATION).optional(),
    paymentToken: paymentToken.optional(),
  })
  .refine((body) => (body.seats === undefined) !== (body.quantity === undefined), 'Send either seats (reserved seating) or quantity (general admission)');

const idParams = z.object({ id: z.uuid({ message: 'Not a reservation id' }) });
const listQuery = z.object({ eventId: z.uuid().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });
const idempotencyKey = z.string().min(1).max(200).optional();
/** Booking-Protocol: saga | 2pc, for experiments; BOOKING_PROTOCOL when absent. */
const bookingProtocol = z.enum(['saga', '2pc']).optional();

type ReservationRow = typeof reservations.$inferSelect;

/** The contract's reservation object. */
function present(view: {
  id: string;
  status: ReservationStatus;
  eventId: string;
  seats: string[];
  seating: 'reserved' | 'general';
  quantity: number;
  amountCents: number;
  currency: string;
  refundedCents: number;
  tickets: { code: string; seat: string }[];
  failureReason?: string | null;
  expiresAt?: string | null;
  workflowId: string;
}) {
  return {
    id: view.id,
    status: view.status,
    eventId: view.eventId,
    ...(view.seating === 'reserved' ? { seats: view.seats } : { quantity: view.quantity, units: view.seats }),
    amountCents: view.amountCents,
    currency: view.currency,
    refundedCents: view.refundedCents,
    tickets: view.tickets,
    ...(view.failureReason ? { failureReason: view.failureReason } : {}),
    ...(view.expiresAt ? { expiresAt: view.expiresAt } : {}),
    workflowId: view.workflowId,
  };
}

const fromSnapshot = (snapshot: ReservationSnapshot) => present(snapshot);

/** Turns a failed saga into the contract's error; other outcomes pass. */
function throwIfFailed(snapshot: ReservationSnapshot): void {
  if (snapshot.status !== 'failed') return;
  const reservation = fromSnapshot(snapshot);
  const type = failureOfReason(snapshot.failureReason);
  if (type === Failure.SeatsUnavailable) {
    const seats = snapshot.unavailableSeats ?? [];
    throw new DomainError(type, `${failures.SeatsUnavailable.message}: ${seats.join(', ')}`, { seats, reservation });
  }
  if (type) throw new DomainError(type, undefined, { reservation });
  throw new ReservationFailed(`The reservation failed (${snapshot.failureReason ?? 'unknown'}); nothing was charged`, { reservation });
}

async function ticketsOf(db: Database, reservationIds: string[]) {
  if (reservationIds.length === 0) return new Map<string, { code: string; seat: string }[]>();
  const rows = await db
    .select({ code: tickets.code, seat: tickets.seatId, reservationId: tickets.reservationId })
    .from(tickets)
    .where(and(inArray(tickets.reservationId, reservationIds), inArray(tickets.status, ['valid', 'used'])))
    .orderBy(tickets.seatId);
  const byReservation = new Map<string, { code: string; seat: string }[]>();
  for (const row of rows) {
    const list = byReservation.get(row.reservationId) ?? [];
    list.push({ code: row.code, seat: row.seat });
    byReservation.set(row.reservationId, list);
  }
  return byReservation;
}

function presentRow(row: ReservationRow, seating: 'reserved' | 'general', rowTickets: { code: string; seat: string }[]) {
  return present({
    id: row.id,
    status: row.status,
    eventId: row.eventId,
    seats: row.seatIds,
    seating,
    quantity: row.quantity,
    amountCents: row.amountCents,
    currency: row.currency,
    refundedCents: row.refundedCents,
    tickets: rowTickets,
    failureReason: row.failureReason,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    workflowId: row.workflowId,
  });
}

const recordOf = (row: ReservationRow): ReservationRecord => ({
  reservationId: row.id,
  eventId: row.eventId,
  customerId: row.customerId,
  seatIds: row.seatIds,
  quantity: row.quantity,
  amountCents: row.amountCents,
  currency: row.currency,
});


export function reservationRoutes({ db, stores, temporal, config }: AppDeps) {
  const client = new ReservationClient(temporal, config);

  /** The reservation, if the caller may see it: its customer, the event's organizer, an admin. */
  async function visibleReservation(id: string, user: AuthUser): Promise<{ row?: ReservationRow; snapshot?: ReservationSnapshot; organizerId: string; seating: 'reserved' | 'general' }> {
    const [row] = await stores.booking.select().from(reservations).where(eq(reservations.id, id));
    const snapshot = row ? undefined : await client.snapshot(id);
    const eventId = row?.eventId ?? snapshot?.eventId;
    const customerId = row?.customerId ?? snapshot?.customerId;
    if (!eventId || !customerId) throw new NotFound('reservation_not_found', `No reservation ${id}`);
    const [event] = await db.select({ organizerId: events.organizerId, seatingType: events.seatingType }).from(events).where(eq(events.id, eventId));
    const organizerId = event?.organizerId ?? '';
    if (user.role !== 'admin' && user.id !== customerId && user.id !== organizerId) {
      // Someone else's reservation is as good as absent: do not confirm that it exists.
      throw new NotFound('reservation_not_found', `No reservation ${id}`);
    }
    return { ...(row ? { row } : {}), ...(snapshot ? { snapshot } : {}), organizerId, seating: event?.seatingType ?? 'reserved' };
  }

  async function ownReservation(id: string, user: AuthUser) {
    const found = await visibleReservation(id, user);
    const customerId = found.row?.customerId ?? found.snapshot?.customerId;
    if (user.role !== 'admin' && user.id !== customerId) throw new Forbidden('Only the customer who made the reservation may do this');
    return found;
  }

  return [
    route({
      method: 'post',
      path: '/api/reservations',
      summary: 'Reserve seats: with a paymentToken the whole saga runs; without one, the seats are held. Header Booking-Protocol: 2pc books by two-phase commit instead (paymentToken required)',
      tag: 'reservations',
      access: 'user',
      body: createReservationBody,
      responses: {
        201: 'Confirmed, or held',
        202: 'Still running: poll the Location',
        400: 'Invalid input',
        401: 'No valid token',
        402: 'Payment declined',
        404: 'No such event',
        409: 'Seats unavailable, sold out, or event not on sale',
        422: 'Idempotency-Key reused with another body',
      },
      async handler(ctx, { body, user, headers }) {
        const key = idempotencyKey.safeParse(headers['idempotency-key']);
        if (!key.success) throw new ValidationFailed('Idempotency-Key must be 1 to 200 characters');
        const asked = bookingProtocol.safeParse(headers['booking-protocol']);
        if (!asked.success) throw new ValidationFailed('Booking-Protocol must be saga or 2pc');
        const protocol = asked.data ?? config.BOOKING_PROTOCOL;
        if (protocol === '2pc' && !body.paymentToken) {
          throw new ValidationFailed('body.paymentToken: two-phase commit books and pays at once; holding seats without payment needs the saga');
        }
        const event = await findEvent(db, body.eventId);
        if (event.status !== 'on_sale') throw new DomainError(Failure.EventNotOnSale);
        const seating = seatingOf(event);
        if (seating.type === 'reserved' && !body.seats) throw new ValidationFailed('body.seats: this event has reserved seating: name the seats');
        if (seating.type === 'general' && !body.quantity) throw new ValidationFailed('body.quantity: this event is general admission: send a quantity');
        const seatIds = body.seats ?? [];
        const unknown = unknownSeatIds(seating, seatIds);
        if (unknown.length > 0) throw new ValidationFailed(`body.seats: no such seats in this room: ${unknown.join(', ')}`, { seats: unknown });
        const quantity = body.quantity ?? seatIds.length;

        const hash = requestHash(body);
        const reservationId = reservationIdFor(user.id, key.data);
        const respondAsync = /respond-async/i.test(ctx.get('Prefer'));
        const outcome = await client.start(
          {
            reservationId,
            eventId: event.id,
            eventName: event.name,
            customerId: user.id,
            seating: seating.type,
            seatIds,
            quantity,
            capacity: event.capacity,
            ...(seating.type === 'reserved' ? { rows: seating.rows, seatsPerRow: seating.seatsPerRow } : {}),
            amountCents: event.priceCents * quantity,
            currency: event.currency,
            ...(body.paymentToken ? { paymentToken: body.paymentToken } : {}),
            holdTtlMs: config.HOLD_TTL_MS,
            requestHash: hash,
          },
          respondAsync ? 0 : config.RESERVATION_WAIT_MS,
          protocol,
        );
        ctx.set('Location', `/api/reservations/${reservationId}`);
        if (outcome.kind === 'pending') {
          ctx.status = 202;
          ctx.body = { id: outcome.reservationId, status: 'pending', workflowId: outcome.workflowId };
          return;
        }
        if (outcome.snapshot.requestHash !== hash) throw new IdempotencyKeyReused('This Idempotency-Key was used with a different request');
        throwIfFailed(outcome.snapshot);
        ctx.status = 201;
        ctx.body = fromSnapshot(outcome.snapshot);
      },
    }),
    route({
      method: 'get',
      path: '/api/reservations',
      summary: 'The caller’s reservations (admin: all), newest first',
      tag: 'reservations',
      access: 'user',
      query: listQuery,
      responses: { 200: 'Reservations', 400: 'Invalid query', 401: 'No valid token' },
      async handler(ctx, { user, query }) {
        const filters: SQL[] = [];
        if (user.role !== 'admin') filters.push(eq(reservations.customerId, user.id));
        if (query.eventId) filters.push(eq(reservations.eventId, query.eventId));
        const rows = await stores.booking.select().from(reservations).where(and(...filters)).orderBy(desc(reservations.createdAt)).limit(query.limit);
        const eventIds = [...new Set(rows.map((row) => row.eventId))];
        const seatingById = new Map(eventIds.length ? (await db.select({ id: events.id, seatingType: events.seatingType }).from(events).where(inArray(events.id, eventIds))).map((e) => [e.id, e.seatingType]) : []);
        const ticketMap = await ticketsOf(stores.ticketing, rows.map((row) => row.id));
        ctx.body = { reservations: rows.map((row) => presentRow(row, seatingById.get(row.eventId) ?? 'reserved', ticketMap.get(row.id) ?? [])) };
      },
    }),
    route({
      method: 'get',
      path: '/api/reservations/:id',
      summary: 'One reservation (its customer, the event’s organizer, admin)',
      tag: 'reservations',
      access: 'user',
      params: idParams,
      responses: { 200: 'The reservation', 401: 'No valid token', 404: 'No such reservation' },
      async handler(ctx, { params, user }) {
        const found = await visibleReservation(params.id, user);
        if (found.row) {
          const ticketMap = await ticketsOf(stores.ticketing, [found.row.id]);
          ctx.body = presentRow(found.row, found.seating, ticketMap.get(found.row.id) ?? []);
        } else if (found.snapshot) {
          ctx.body = fromSnapshot(found.snapshot);
        }
      },
    }),
    route({
      method: 'post',
      path: '/api/reservations/:id/pay',
      summary: 'Pay a held reservation',
      tag: 'reservations',
      access: 'user',
      params: idParams,
      body: z.strictObject({ paymentToken }),
      responses: { 200: 'Confirmed', 401: 'No valid token', 402: 'Payment declined', 404: 'No such reservation', 409: 'Not waiting for payment', 410: 'The hold expired' },
      async handler(ctx, { params, body, user }) {
        await ownReservation(params.id, user);
        const snapshot = await client.pay(params.id, body.paymentToken);
        throwIfFailed(snapshot);
        ctx.body = fromSnapshot(snapshot);
      },
    }),
    route({
      method: 'post',
      path: '/api/reservations/:id/cancel',
      summary: 'Cancel: a hold releases its seats; a confirmed reservation is refunded and its tickets voided',
      tag: 'reservations',
      access: 'user',
      params: idParams,
      responses: { 200: 'Cancelled', 401: 'No valid token', 404: 'No such reservation', 409: 'Already failed or expired' },
      async handler(ctx, { params, user }) {
        const found = await ownReservation(params.id, user);
        const status = found.row?.status ?? found.snapshot?.status;
        if (status === 'cancelled' && found.row) {
          ctx.body = { id: params.id, status: 'cancelled', refundedCents: found.row.refundedCents };
          return;
        }
        if (status === 'failed' || status === 'expired') throw new ReservationNotCancellable(`The reservation is already ${status}`);
        const record = found.row ? recordOf(found.row) : found.snapshot ? recordOfSnapshot(found.snapshot) : undefined;
        if (!record) throw new NotFound('reservation_not_found', `No reservation ${params.id}`);
        const result = await client.cancel(record);
        if (result.status !== 'cancelled') throw new ReservationNotCancellable(`The reservation ended ${result.status} before it could be cancelled`);
        ctx.body = { id: params.id, ...result };
      },
    }),
  ];
}
