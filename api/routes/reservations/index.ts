import { performance } from 'node:perf_hooks';
import type { AuthUser } from '../../auth.js';
import type { AppDeps, RequestGuards } from '../../deps.js';
import { cancellation, pendingReservation, reservation, reservationList } from '../../contract/index.js';
import { Failure } from '../../../lib/failures.js';
import { recordOfSnapshot, type ReservationSnapshot } from '../../../lib/reservations.js';
import { unknownSeatIds } from '../../../lib/seating.js';
import { isPostgresUnavailable } from '../../dependency-errors.js';
import { DomainError, Forbidden, IdempotencyKeyReused, NotFound, ReservationNotCancellable, ValidationFailed } from '../../errors.js';
import { seatingOf } from '../../read-model.js';
import { requestHash, reservationIdFor } from '../../reservation-client.js';
import { route } from '../../route.js';
import { findEvent } from '../events.js';
import { admissionGate } from '../queue/gate.js';
import { bookingRules } from './booking-rules.js';
import { failFast } from './fail-fast.js';
import { seatsInFlight, type InFlight } from './seats-in-flight.js';
import { throwIfFailed } from './failures.js';
import { presentRow, presentSnapshot, type ReservationRow } from './presenters.js';
import { recordOfRow, reservationQueries } from './queries.js';
import { createReservationBody, createReservationHeaders, idParams, listQuery, payBody } from './schemas.js';

export function reservationRoutes({ db, stores, workflows, config, paymentVault, tokens, logger }: AppDeps, { limits, events }: RequestGuards) {
  const queries = reservationQueries(db, stores);
  const refusals = failFast(db, queries, seatsInFlight(stores.booking.$client, config.SEATS_IN_FLIGHT_TTL_MS, logger));
  const rules = bookingRules(stores, config);
  const admissions = admissionGate(db.$client, tokens.admission);

  /**
   * The reservation, if the caller may see it (its customer, the event's organizer, an admin): its
   * booking row, or, before the seat-lock has written one, its workflow's state.
   */
  async function visibleReservation(id: string, user: AuthUser): Promise<{ row?: ReservationRow; snapshot?: ReservationSnapshot; seating: 'reserved' | 'general' }> {
    let row: ReservationRow | undefined;
    try {
      row = await queries.byId(id);
    } catch (error) {
      if (!isPostgresUnavailable(error)) throw error;
      return fromWorkflowOnly(id, user, error);
    }
    const snapshot = row ? undefined : await workflows.snapshot(id);
    const eventId = row?.eventId ?? snapshot?.eventId;
    const customerId = row?.customerId ?? snapshot?.customerId;
    if (!eventId || !customerId) throw new NotFound('reservation_not_found', `No reservation ${id}`);
    const facts = await queries.eventFacts(eventId);
    if (user.role !== 'admin' && user.id !== customerId && user.id !== facts?.organizerId) {
      // Someone else's reservation is as good as absent: do not confirm that it exists.
      throw new NotFound('reservation_not_found', `No reservation ${id}`);
    }
    return { ...(row ? { row } : {}), ...(snapshot ? { snapshot } : {}), seating: facts?.seatingType ?? 'reserved' };
  }

  /**
   * Postgres is down: the saga's own state answers for its customer (and an admin), as it does
   * before the seat-lock has written a row. The organizer's right to see it needs the catalogue,
   * so anyone else gets the 503 of the outage (`cause`).
   */
  async function fromWorkflowOnly(id: string, user: AuthUser, cause: unknown): Promise<{ snapshot: ReservationSnapshot; seating: 'reserved' | 'general' }> {
    const snapshot = await workflows.snapshot(id);
    if (!snapshot) throw cause;
    if (user.role !== 'admin' && user.id !== snapshot.customerId) throw cause;
    return { snapshot, seating: snapshot.seating };
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
      summary: 'Reserve seats (named, or bestAvailable: true with a quantity: the house picks them and the answer names them): with a paymentToken the whole saga runs; without one, the seats are held. Header Booking-Protocol: 2pc books by two-phase commit instead (paymentToken required)',
      tag: 'reservations',
      access: 'user',
      body: createReservationBody,
      headers: createReservationHeaders,
      responses: {
        201: { description: 'Confirmed, or held', body: reservation },
        202: { description: 'Still running: poll the Location', body: pendingReservation },
        400: 'Invalid input',
        401: 'No valid token',
        402: 'Payment declined',
        403: 'Booking-Protocol chosen without EXPERIMENTS=on (admins may); the event has a waiting room and the Admission-Token is missing or not the caller’s (admission_required)',
        404: 'No such event',
        409: 'Seats unavailable, sold out (best available: fewer than quantity seats free), hold limit reached, or event not on sale (cancelled or started)',
        410: 'The admission window is over (admission_expired)',
        422: 'Idempotency-Key reused with another body',
        429: 'Too many booking attempts by this customer; see Retry-After',
        503: 'Payments (or a dependency) unavailable; see Retry-After',
      },
      async handler(ctx, { body, user, headers }) {
        const started = performance.now();
        await limits.reservationAttempt(user.id);
        const chosen = headers['booking-protocol'];
        // Picking the protocol is an experiment's switch: prepared transactions hold seat rows through a gateway call.
        if (chosen !== undefined && chosen !== config.BOOKING_PROTOCOL && config.EXPERIMENTS !== 'on' && user.role !== 'admin') {
          throw new DomainError(Failure.BookingProtocolNotAllowed);
        }
        const protocol = chosen ?? config.BOOKING_PROTOCOL;
        if (protocol === '2pc' && !body.paymentToken) {
          throw new ValidationFailed('body.paymentToken: two-phase commit books and pays at once; holding seats without payment needs the saga');
        }
        const event = await events.find(body.eventId);
        if (event.status !== 'on_sale') throw new DomainError(Failure.EventNotOnSale);
        rules.refuseStarted(event);
        // The waiting room: only an admitted buyer books, within the admission window.
        const queued = event.queueOpensAt !== null;
        if (queued) await admissions.check(headers['admission-token'], user.id, event.id);
        const seating = seatingOf(event);
        const bestAvailable = body.bestAvailable === true;
        if (seating.type === 'general' && bestAvailable) throw new ValidationFailed('body.bestAvailable: this event is general admission: it has no seats to choose; send a quantity alone');
        if (seating.type === 'reserved' && !body.seats && !bestAvailable) throw new ValidationFailed('body.seats: this event has reserved seating: name the seats, or send bestAvailable: true with a quantity');
        if (seating.type === 'general' && !body.quantity) throw new ValidationFailed('body.quantity: this event is general admission: send a quantity');
        const seatIds = body.seats ?? [];
        const unknown = unknownSeatIds(seating, seatIds);
        if (unknown.length > 0) throw new ValidationFailed(`body.seats: no such seats in this room: ${unknown.join(', ')}`, { seats: unknown });
        const quantity = body.quantity ?? seatIds.length;

        const hash = requestHash(body);
        const reservationId = reservationIdFor(user.id, headers['idempotency-key']);
        const keyed = headers['idempotency-key'] !== undefined;
        // Named seats are entered as this request's (seats-in-flight.ts): a concurrent request for them is refused at once.
        // Best available is refused at once only when the read model shows fewer than n seats free.
        let inFlight: InFlight | undefined;
        if (seating.type === 'reserved' && !bestAvailable) inFlight = await refusals.refuseTakenSeats({ eventId: event.id, reservationId, keyed, seatIds });
        else await refusals.refuseSoldOut({ eventId: event.id, reservationId, keyed, capacity: event.capacity, quantity });
        try {
          // A repeated Idempotency-Key gets its reservation's own answer, which the cap may not replace.
          if (protocol === 'saga') await rules.refuseOverCap({ customerId: user.id, eventId: event.id, reservationId, quantity }, async () => keyed && (await queries.byId(reservationId)) !== undefined);
          const respondAsync = /respond-async/i.test(headers.prefer ?? '');
          const outcome = await workflows.start(
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
              ...(bestAvailable ? { bestAvailable: true } : {}),
              amountCents: event.priceCents * quantity,
              currency: event.currency,
              // The workflow (and so Temporal's history) sees a vault reference, never the token.
              ...(body.paymentToken ? { paymentToken: await paymentVault.deposit(reservationId, body.paymentToken) } : {}),
              holdTtlMs: config.HOLD_TTL_MS,
              startsAt: event.startsAt.toISOString(),
              requestHash: hash,
            },
            respondAsync ? 0 : config.RESERVATION_WAIT_MS,
            protocol,
            keyed,
          );
          ctx.set('Location', `/api/reservations/${reservationId}`);
          if (outcome.kind === 'pending') {
            if (queued) await admissions.booked(event.id, user.id, performance.now() - started);
            ctx.status = 202;
            ctx.body = { id: outcome.reservationId, status: 'pending', workflowId: outcome.workflowId };
            return;
          }
          if (outcome.snapshot.requestHash !== hash) throw new IdempotencyKeyReused('This Idempotency-Key was used with a different request');
          throwIfFailed(outcome.snapshot, config);
          if (queued) await admissions.booked(event.id, user.id, performance.now() - started);
          ctx.status = 201;
          ctx.body = presentSnapshot(outcome.snapshot);
        } catch (error) {
          // Refused or failed: the seats are free for the next request at once. An answered
          // booking's entry stays (one statement fewer): it ends with its reservation, or at its expiry.
          await inFlight?.leave();
          throw error;
        }
      },
    }),
    route({
      method: 'get',
      path: '/api/reservations',
      summary: 'The caller’s reservations (admin: all), newest first',
      tag: 'reservations',
      access: 'user',
      query: listQuery,
      responses: { 200: { description: 'Reservations', body: reservationList }, 400: 'Invalid query', 401: 'No valid token' },
      async handler(ctx, { user, query }) {
        const found = await queries.list({ ...(user.role === 'admin' ? {} : { customerId: user.id }), ...(query.eventId ? { eventId: query.eventId } : {}), limit: query.limit });
        const tickets = await queries.ticketsOf(found.map(({ row }) => row));
        ctx.body = { reservations: found.map(({ row, seating }) => presentRow(row, seating, tickets.get(row.id) ?? [])) };
      },
    }),
    route({
      method: 'get',
      path: '/api/reservations/:id',
      summary: 'One reservation (its customer, the event’s organizer, admin)',
      tag: 'reservations',
      access: 'user',
      params: idParams,
      responses: { 200: { description: 'The reservation', body: reservation }, 401: 'No valid token', 404: 'No such reservation' },
      async handler(ctx, { params, user }) {
        const found = await visibleReservation(params.id, user);
        if (found.row) {
          const tickets = await queries.ticketsOf([found.row]);
          ctx.body = presentRow(found.row, found.seating, tickets.get(found.row.id) ?? []);
        } else if (found.snapshot) {
          ctx.body = presentSnapshot(found.snapshot);
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
      body: payBody,
      responses: { 200: { description: 'Confirmed', body: reservation }, 401: 'No valid token', 402: 'Payment declined', 404: 'No such reservation', 409: 'Not waiting for payment', 410: 'The hold expired', 503: 'Payments unavailable; see Retry-After' },
      async handler(ctx, { params, body, user }) {
        await ownReservation(params.id, user);
        const snapshot = await workflows.pay(params.id, await paymentVault.deposit(params.id, body.paymentToken));
        throwIfFailed(snapshot, config);
        ctx.body = presentSnapshot(snapshot);
      },
    }),
    route({
      method: 'post',
      path: '/api/reservations/:id/cancel',
      summary: 'Cancel: a hold releases its seats; a confirmed reservation is refunded and its tickets voided',
      tag: 'reservations',
      access: 'user',
      params: idParams,
      responses: { 200: { description: 'Cancelled', body: cancellation }, 401: 'No valid token', 404: 'No such reservation', 409: 'Already failed or expired, a ticket checked in, or past the cancellation cut-off' },
      async handler(ctx, { params, user }) {
        const found = await ownReservation(params.id, user);
        const status = found.row?.status ?? found.snapshot?.status;
        if (status === 'cancelled' && found.row) {
          ctx.body = { id: params.id, status: 'cancelled', refundedCents: found.row.refundedCents };
          return;
        }
        if (status === 'failed' || status === 'expired') throw new ReservationNotCancellable(`The reservation is already ${status}`);
        const record = found.row ? recordOfRow(found.row) : found.snapshot ? recordOfSnapshot(found.snapshot) : undefined;
        if (!record) throw new NotFound('reservation_not_found', `No reservation ${params.id}`);
        // A sold reservation is held to the cancellation rules; the ticket store has the last word.
        const cancellationRules = status === 'confirmed' ? rules.cancellationRules(await findEvent(db, record.eventId)) : undefined;
        if (cancellationRules) await rules.refuseUncancellable(record.reservationId, cancellationRules);
        const result = await workflows.cancel(record, cancellationRules);
        if (result.refusal) throw new DomainError(Failure.NotCancellable, result.refusal);
        if (result.status !== 'cancelled') throw new ReservationNotCancellable(`The reservation ended ${result.status} before it could be cancelled`);
        ctx.body = { id: params.id, status: result.status, refundedCents: result.refundedCents };
      },
    }),
  ];
}
