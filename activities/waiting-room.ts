import { setTimeout as delay } from 'node:timers/promises';
import type postgres from 'postgres';
import { announceQueue, endQueue, lockForDraw } from '../db/waitroom.js';
import {
  adaptiveAdmissions,
  assumedAdmitPerMinute,
  assumedSlotMs,
  estimateAdmitPerMinute,
  fixedRateAdmissions,
  latencyBreached,
  nextAdmissionWindow,
  type AdmissionTickInput,
  type AdmissionTickResult,
  type AdmissionWindowLimits,
  type QueueSchedule,
  type QueueState,
} from '../lib/waiting-room.js';

export interface WaitingRoomSettings {
  /** QUEUE_ADMISSION_WINDOW_SECONDS: how long an admitted buyer may take to book. */
  admissionWindowSeconds: number;
  limits: AdmissionWindowLimits;
  /** QUEUE_TICK_MS: a booked slot is refilled at the next tick, so slot times are whole ticks. */
  tickMs: number;
  /** QUEUE_DRAW_GRACE_MS: how long after the opening the draw may wait for the joins still coming in. */
  drawGraceMs: number;
  /** Readies what the first admitted buyers' bookings will use (the worker's saga pools), while the draw waits for the rush. */
  prepareForBookings?: () => Promise<void>;
}

/**
 * How often the draw looks whether joins are still coming in, and how few over how long end the
 * rush: a whole second, since joins commit in bursts and a quarter-second lull inside a rush is
 * common (a draw on it was measured in the middle of a 2,000-join storm).
 */
const RUSH_POLL_MS = 250;
const RUSH_QUIET_MS = 1_000;
const RUSH_OVER_JOINS = 2;

/**
 * The recent past an admission tick measures: bookings for the latency and slot samples, for
 * whether anybody books at all, and admissions for the rate buyers are told.
 */
const RECENT_MS = 10_000;

interface EventFacts {
  status: 'on_sale' | 'cancelled';
  starts_at: Date | string;
  capacity: number;
  queue_opens_at: Date | string | null;
  queue_admit_per_minute: number | null;
}

/** Whether the queue must end now, and how: the queue removed, the event cancelled or started. */
function ended(event: EventFacts | undefined, now: number): boolean {
  return !event || event.queue_opens_at === null || event.status === 'cancelled' || new Date(event.starts_at).getTime() <= now;
}

/**
 * The on-sale workflow's activities (workflows/waiting-room.ts), connected as the API's role (the
 * waiting room is the API's data). Each is one transaction holding the queue row's lock, so a
 * retried or duplicated call after a crash finds the queue as the last commit left it: the draw
 * happens once, a place is admitted once, and admission follows place order.
 */
export function createWaitingRoomActivities(sql: postgres.Sql, settings: WaitingRoomSettings) {
  const slotBeforeBookings = assumedSlotMs(settings.limits, settings.tickMs);
  const rateAtDraw = assumedAdmitPerMinute(settings.limits.min, slotBeforeBookings);
  const recent = `${RECENT_MS} milliseconds`;

  /**
   * The opening's rush (docs/waiting-room.md, "The draw"): buyers who pressed join just before the
   * opening are often still being answered after it, when thousands press at once. Their places
   * carry the moment their request reached the API, so they belong in the draw; the draw waits
   * until joins stop pouring in (fewer than RUSH_OVER_JOINS in RUSH_QUIET_MS), at most
   * `drawGraceMs` after the opening. Nobody is admitted meanwhile, so the first admitted buyers
   * do not book into the rush either. Waits outside any transaction; a retry waits no longer.
   */
  async function rushOver(eventId: string): Promise<void> {
    const [opening] = await sql<{ opens_at: Date | string | null; state: QueueState }[]>`
      SELECT e.queue_opens_at AS opens_at, q.state FROM catalog.events e JOIN waitroom.queues q ON q.event_id = e.id WHERE e.id = ${eventId}`;
    // A retry after the draw committed (or a queue ended meanwhile) has no rush to wait for.
    if (!opening?.opens_at || opening.state !== 'pre_opening') return;
    const deadline = new Date(opening.opens_at).getTime() + settings.drawGraceMs;
    // Join counts of the last RUSH_QUIET_MS, oldest first.
    const counts = [await joinsSoFar(eventId)];
    const polls = RUSH_QUIET_MS / RUSH_POLL_MS;
    while (Date.now() + RUSH_POLL_MS <= deadline) {
      await delay(RUSH_POLL_MS);
      counts.push(await joinsSoFar(eventId));
      if (counts.length > polls + 1) counts.shift();
      if (counts.length === polls + 1 && (counts.at(-1) ?? 0) - (counts[0] ?? 0) < RUSH_OVER_JOINS) return;
    }
  }

  async function joinsSoFar(eventId: string): Promise<number> {
    const [row] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM waitroom.places WHERE event_id = ${eventId}`;
    return row?.count ?? 0;
  }

  return {
    /** The queue's state and opening as they are now; ends a queue whose event no longer wants one. */
    async queueSchedule(input: { eventId: string }): Promise<QueueSchedule> {
      return sql.begin(async (tx) => {
        const [queue] = await tx<{ state: QueueState }[]>`SELECT state FROM waitroom.queues WHERE event_id = ${input.eventId} FOR UPDATE`;
        if (!queue) return { state: 'closed', opensAt: null };
        const [event] = await tx<EventFacts[]>`
          SELECT status, starts_at, capacity, queue_opens_at, queue_admit_per_minute FROM catalog.events WHERE id = ${input.eventId}`;
        if (queue.state !== 'closed' && ended(event, Date.now())) {
          await endQueue(tx, input.eventId, 'closed');
          return { state: 'closed', opensAt: null };
        }
        return { state: queue.state, opensAt: event?.queue_opens_at ? new Date(event.queue_opens_at).toISOString() : null };
      });
    },

    /**
     * The opening: everyone who joined before it gets a place in the order of the random keys drawn
     * at their joins (a tie, practically impossible, goes by account id), and the queue opens; from
     * now on a join takes the next place. Does nothing to a queue already open.
     */
    async openQueue(input: { eventId: string }): Promise<QueueState> {
      const preparing = settings.prepareForBookings?.();
      await rushOver(input.eventId);
      await preparing;
      return sql.begin(async (tx) => {
        const [queue] = await tx<{ state: QueueState }[]>`SELECT state FROM waitroom.queues WHERE event_id = ${input.eventId} FOR UPDATE`;
        if (!queue) return 'closed';
        if (queue.state !== 'pre_opening') return queue.state;
        // Joins committed before this point are in the draw; those that come after see it open.
        await lockForDraw(tx, input.eventId);
        const [drawn] = await tx<{ count: number }[]>`
          WITH ranked AS (
            SELECT p.account_id,
                   row_number() OVER (ORDER BY p.joined_at >= e.queue_opens_at, CASE WHEN p.joined_at < e.queue_opens_at THEN p.draw_key END, p.joined_at, p.account_id) AS place
            FROM waitroom.places p JOIN catalog.events e ON e.id = p.event_id
            WHERE p.event_id = ${input.eventId} AND p.status = 'pre_queue'
          ), placed AS (
            UPDATE waitroom.places p SET place = ranked.place, status = 'waiting'
            FROM ranked WHERE p.event_id = ${input.eventId} AND p.account_id = ranked.account_id
            RETURNING 1
          )
          SELECT count(*)::int AS count FROM placed`;
        // Buyers are told a rate from the draw on, so that those admitted first had an estimate
        // too: a fixed rate, or the adaptive window's first size at the slot time it assumes.
        await tx`
          UPDATE waitroom.queues q SET state = 'open', total = ${drawn?.count ?? 0}, opened_at = now(), version = version + 1, updated_at = now(),
            rate_per_minute = coalesce(e.queue_admit_per_minute, ${rateAtDraw})
          FROM catalog.events e WHERE q.event_id = ${input.eventId} AND e.id = q.event_id`;
        await announceQueue(tx, input.eventId);
        return 'open';
      });
    },

    /**
     * One admission tick: lapse admissions whose window ended unbooked (their turn is gone), end
     * the queue if the event sold out (everyone waiting is told by the one broadcast), else admit
     * the next places in order — as many as the fixed rate allows since the last tick, or as the
     * adaptive window has room for — and announce the change.
     */
    async admissionTick(input: AdmissionTickInput): Promise<AdmissionTickResult> {
      return sql.begin(async (tx) => {
        const [queue] = await tx<{ state: QueueState; admitted_through: number; total: number; rate_per_minute: number; opened_at: Date | string | null }[]>`
          SELECT state, admitted_through, total, rate_per_minute, opened_at FROM waitroom.queues WHERE event_id = ${input.eventId} FOR UPDATE`;
        const unchanged = { carry: input.carry, window: input.window, windowShrankAt: input.windowShrankAt ?? null, admitted: 0, lapsed: 0 };
        if (!queue) return { state: 'closed', ...unchanged };
        if (queue.state !== 'open') return { state: queue.state, ...unchanged };
        const [event] = await tx<EventFacts[]>`
          SELECT status, starts_at, capacity, queue_opens_at, queue_admit_per_minute FROM catalog.events WHERE id = ${input.eventId}`;
        if (!event || ended(event, Date.now())) {
          await endQueue(tx, input.eventId, 'closed');
          return { state: 'closed', ...unchanged };
        }

        const lapsed = await tx`
          UPDATE waitroom.places SET status = 'expired'
          WHERE event_id = ${input.eventId} AND status = 'admitted' AND expires_at <= now()
          RETURNING 1`;

        const [stock] = await tx<{ held: number; sold: number }[]>`
          SELECT held, sold FROM readmodel.event_availability WHERE event_id = ${input.eventId}`;
        const sold = stock?.sold ?? 0;
        const free = event.capacity - sold - (stock?.held ?? 0);
        if (sold >= event.capacity) {
          await endQueue(tx, input.eventId, 'sold_out');
          return { state: 'sold_out', ...unchanged, lapsed: lapsed.count };
        }

        // Recent bookings with an admission: their latency (the window's signal) and how long each
        // held its slot (admission to booking, up to the next tick): the rate's estimate. Both come
        // only from buyers admitted since the window last shrank: what came before (a stall behind
        // a join storm, a burst the window has since given up) says nothing of the window as it is.
        const judgedFrom = new Date(input.windowShrankAt ?? 0).toISOString();
        const [measured] = await tx<{ in_flight: number; booked_since_tick: number; booked_recently: number; p99: number | null; mean_slot_ms: number | null; samples: number; admitted_recently: number; next_expiry: Date | string | null }[]>`
          SELECT count(*) FILTER (WHERE status = 'admitted')::int AS in_flight,
                 count(*) FILTER (WHERE booked_at > now() - interval '1 millisecond' * ${Math.round(input.elapsedMs)})::int AS booked_since_tick,
                 count(*) FILTER (WHERE booked_at > now() - ${recent}::interval)::int AS booked_recently,
                 percentile_cont(0.99) WITHIN GROUP (ORDER BY booking_ms)
                   FILTER (WHERE booked_at > now() - ${recent}::interval AND admitted_at > ${judgedFrom}::timestamptz) AS p99,
                 avg(ceil(extract(epoch FROM booked_at - admitted_at) * 1000 / ${settings.tickMs}) * ${settings.tickMs})
                   FILTER (WHERE booked_at > now() - ${recent}::interval AND admitted_at > ${judgedFrom}::timestamptz)::float8 AS mean_slot_ms,
                 count(*) FILTER (WHERE booked_at > now() - ${recent}::interval AND admitted_at > ${judgedFrom}::timestamptz)::int AS samples,
                 count(*) FILTER (WHERE admitted_at > now() - ${recent}::interval)::int AS admitted_recently,
                 min(expires_at) FILTER (WHERE status = 'admitted') AS next_expiry
          FROM waitroom.places WHERE event_id = ${input.eventId}`;
        const inFlight = measured?.in_flight ?? 0;
        const sinceDrawMs = queue.opened_at ? Date.now() - new Date(queue.opened_at).getTime() : Number.POSITIVE_INFINITY;
        let carry = input.carry;
        let window = input.window;
        let windowShrankAt = input.windowShrankAt ?? null;
        // Little's law needs bookings of the window as it is: none, in the tick that shrank it.
        let shrankNow = false;
        let due: number;
        if (event.queue_admit_per_minute !== null) {
          ({ admit: due, carry } = fixedRateAdmissions({ admitPerMinute: event.queue_admit_per_minute, elapsedMs: input.elapsedMs, carry }));
          window = null;
        } else {
          const before = window ?? settings.limits.min;
          const used = inFlight + (measured?.booked_since_tick ?? 0);
          // Recent bookings say whether the slots are idle only once the sale is that old.
          const bookedRecently = sinceDrawMs >= RECENT_MS ? (measured?.booked_recently ?? 0) : null;
          window = nextAdmissionWindow({ window: before, used, p99LatencyMs: measured?.p99 ?? null, bookedRecently, limits: settings.limits });
          // A breach starts a new regime even at the minimum window, where it cannot shrink further.
          shrankNow = latencyBreached(measured?.p99 ?? null, settings.limits);
          if (shrankNow) windowShrankAt = Date.now();
          due = adaptiveAdmissions(window, inFlight, queue.admitted_through);
        }
        // Every seat held or sold: admitting more buyers now would only make them wait for holds to
        // end. And within a tick of the draw every buyer is still being told their place (thousands
        // of messages at once): the first admitted would book into that, so they come a tick later.
        const justDrawn = sinceDrawMs < settings.tickMs;
        const admit = free > 0 && !justDrawn ? Math.min(due, queue.total - queue.admitted_through) : 0;
        const through = queue.admitted_through + admit;
        if (admit > 0) {
          await tx`
            UPDATE waitroom.places
            SET status = 'admitted', admitted_at = now(), expires_at = now() + make_interval(secs => ${settings.admissionWindowSeconds})
            WHERE event_id = ${input.eventId} AND status = 'waiting' AND place > ${queue.admitted_through} AND place <= ${through}`;
        }
        const rate = estimateAdmitPerMinute({
          fixed: event.queue_admit_per_minute,
          window: window ?? 0,
          meanSlotMs: shrankNow ? null : (measured?.mean_slot_ms ?? null),
          samples: shrankNow ? 0 : (measured?.samples ?? 0),
          admittedRecently: (measured?.admitted_recently ?? 0) + admit,
          recentSpanMs: Math.min(RECENT_MS, sinceDrawMs),
          assumedSlotMs: slotBeforeBookings,
        });
        const changed = admit > 0 || lapsed.count > 0 || Math.abs(rate - queue.rate_per_minute) >= Math.max(1, queue.rate_per_minute * 0.05);
        await tx`
          UPDATE waitroom.queues
          SET admitted_through = ${through}, rate_per_minute = ${rate}, admission_window = ${window},
              version = version + ${changed ? 1 : 0}, updated_at = now()
          WHERE event_id = ${input.eventId}`;
        if (changed) await announceQueue(tx, input.eventId);
        // What could make the next tick do something without a join: an admission lapsing, the start.
        const firstExpiry = admit > 0 ? Date.now() + settings.admissionWindowSeconds * 1000 : Number.POSITIVE_INFINITY;
        const nextExpiry = measured?.next_expiry ? new Date(measured.next_expiry).getTime() : Number.POSITIVE_INFINITY;
        const wakeAt = Math.min(firstExpiry, nextExpiry, new Date(event.starts_at).getTime());
        return { state: 'open', carry, window, windowShrankAt, admitted: admit, lapsed: lapsed.count, waiting: queue.total - through, wakeAt };
      });
    },
  };
}

export type WaitingRoomActivities = ReturnType<typeof createWaitingRoomActivities>;
