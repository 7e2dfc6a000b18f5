import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { reservations } from '../../../db/schema/booking.js';
import { tickets } from '../../../db/schema/ticketing.js';
import type { Config } from '../../../lib/config.js';
import { Failure, failures } from '../../../lib/failures.js';
import type { CancellationRules, HoldLimitDetails } from '../../../lib/reservations.js';
import { DomainError } from '../../errors.js';

type Limits = Pick<Config, 'HOLD_MAX_SEATS_PER_EVENT' | 'HOLD_MAX_OPEN_PER_CUSTOMER' | 'CANCELLATION_CUTOFF_MS'>;

/** The 409 of a hold cap, with its details (the same the seat-lock gives). */
export const holdLimitReached = (details: HoldLimitDetails, extra: Record<string, unknown> = {}): DomainError =>
  new DomainError(
    Failure.HoldLimitReached,
    details.per === 'event'
      ? `You already have ${details.held} seat(s) pending or held for this event, at most ${details.limit}: pay for or cancel them first`
      : `You already have ${details.held} reservation(s) pending or held, at most ${details.limit}: pay for or cancel one first`,
    { ...details, ...extra },
  );

/**
 * The abuse rules, asked of what the API can read so that a refusal costs a query, not a workflow.
 * The authorities are the stores: the seat-lock counts holds under a per-customer lock, and the
 * ticket store decides a cancellation in the statement that voids; these checks only fail fast.
 */
export function bookingRules(stores: { booking: Database; ticketing: Database }, limits: Limits) {
  return {
    /** Bookings stop when the event starts. */
    refuseStarted(event: { startsAt: Date }, now = Date.now()): void {
      if (event.startsAt.getTime() <= now) throw new DomainError(Failure.EventNotOnSale, 'The event has started: bookings are closed');
    },

    /**
     * The customer's pending and held seats for the event, and open reservations, within the caps;
     * `exempt` is asked only of a request over a cap (a repeated Idempotency-Key of one that exists).
     */
    async refuseOverCap(input: { customerId: string; eventId: string; reservationId: string; quantity: number }, exempt: () => Promise<boolean>): Promise<void> {
      const [open] = await stores.booking
        .select({
          reservations: sql<number>`count(*)::int`,
          seats: sql<number>`coalesce(sum(${reservations.quantity}) filter (where ${reservations.eventId} = ${input.eventId}), 0)::int`,
        })
        .from(reservations)
        .where(and(eq(reservations.customerId, input.customerId), inArray(reservations.status, ['pending', 'held']), ne(reservations.id, input.reservationId)));
      const seats = open?.seats ?? 0;
      const count = open?.reservations ?? 0;
      const over: HoldLimitDetails | undefined =
        seats + input.quantity > limits.HOLD_MAX_SEATS_PER_EVENT
          ? { limit: limits.HOLD_MAX_SEATS_PER_EVENT, held: seats, per: 'event' }
          : count + 1 > limits.HOLD_MAX_OPEN_PER_CUSTOMER
            ? { limit: limits.HOLD_MAX_OPEN_PER_CUSTOMER, held: count, per: 'customer' }
            : undefined;
      if (over && !(await exempt())) throw holdLimitReached(over);
    },

    /** The rules a customer's cancellation is held to: the cut-off before the event's start. */
    cancellationRules(event: { startsAt: Date }): CancellationRules {
      return { until: new Date(event.startsAt.getTime() - limits.CANCELLATION_CUTOFF_MS).toISOString() };
    },

    /** A confirmed reservation with a checked-in ticket, or past the cut-off, is not cancellable. */
    async refuseUncancellable(reservationId: string, rules: CancellationRules, now = Date.now()): Promise<void> {
      const statuses = new Set((await stores.ticketing.select({ status: tickets.status }).from(tickets).where(eq(tickets.reservationId, reservationId))).map((row) => row.status));
      if (statuses.has('used')) throw new DomainError(Failure.NotCancellable, 'A ticket of this reservation was already checked in');
      // Tickets already void: a cancellation is under way, and is let finish.
      if (statuses.has('valid') && rules.until && new Date(rules.until).getTime() < now) {
        throw new DomainError(Failure.NotCancellable, `${failures.NotCancellable.message}: the cancellation cut-off before the event has passed`);
      }
    },
  };
}
