import type { LoadResult } from './result.js';
import type { LatencyStats } from './stats.js';

const pad = (text: string | number, width: number) => String(text).padStart(width);
const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([key, n]) => `${key} ${n}`)
    .join(' | ') || '-';

function latencyRow(label: string, stats: LatencyStats): string {
  const cells = [stats.count, stats.meanMs, stats.stdDevMs, stats.p50Ms, stats.p90Ms, stats.p99Ms, stats.maxMs].map((value, i) => pad(i === 0 ? value : value.toFixed(1), i === 0 ? 7 : 9));
  return `  ${label.padEnd(14)}${cells.join('')}`;
}

export function describeRun(result: LoadResult): string {
  const o = result.options;
  const length = o.onSale ? `until every buyer is done (max ${o.maxDurationMs / 1000} s)` : o.untilSoldOut ? `until sold out (max ${o.maxDurationMs / 1000} s)` : `${o.durationMs / 1000} s`;
  const load = o.onSale
    ? `on-sale, ${o.customers} buyers ${o.noQueue ? 'without a queue' : `through a waiting room (${o.admitPerMinute > 0 ? `${o.admitPerMinute} a minute` : 'adaptive rate'})`}`
    : o.mode === 'open'
      ? `open ${o.ratePerSecond}/s (cap ${o.connections} in flight)`
      : `closed, ${o.connections} connections`;
  const seating = o.seating.type === 'reserved' ? `reserved ${o.seating.rows}x${o.seating.seatsPerRow}` : `general ${o.seating.capacity}`;
  const main = result.events.filter((event) => !event.ephemeral).length;
  const seats = o.seatsPerRequest.min === o.seatsPerRequest.max ? `${o.seatsPerRequest.min}` : `${o.seatsPerRequest.min}..${o.seatsPerRequest.max}`;
  const extras = [
    o.contention === 'hot' ? `hot contention (${o.hotSeats} seats)` : '',
    o.protocol === '2pc' ? 'two-phase commit' : '',
    o.paymentFailureRate > 0 ? `${o.paymentFailureRate * 100}% declined cards` : '',
    o.slowPaymentRate > 0 ? `${o.slowPaymentRate * 100}% slow payments` : '',
    o.holdThenPay ? 'hold then pay' : '',
    o.respondAsync ? 'Prefer: respond-async' : '',
    o.cancelRate > 0 ? `${o.cancelRate * 100}% cancelled` : '',
    o.createDeleteEvents ? 'events created and deleted' : '',
    o.sameRequest !== 'off' ? `same request (${o.sameRequest})` : '',
    o.seatKnowledge === 'per-client' ? 'per-client seat knowledge' : '',
  ].filter(Boolean);
  return `${result.scenario ?? 'custom'}: ${load}, ${length}, ${main} x ${seating}, ${seats} seat(s) a booking${extras.length ? `, ${extras.join(', ')}` : ''}`;
}

/** --scenario onsale: the waiting room's figures (docs/waiting-room.md, "The load scenario"). */
function onSaleLines(sale: NonNullable<LoadResult['onSale']>): string[] {
  const ms = (stats: { p50Ms: number; p99Ms: number; count: number }) => `p50 ${stats.p50Ms} ms, p99 ${stats.p99Ms} ms (${stats.count})`;
  const lines = [
    `On-sale         ${sale.buyers} buyers, ${sale.queue ? 'through the waiting room' : 'no queue: all booked at the opening'}; opening at ${seconds(sale.openingAtMs)} into the run`,
    `                ${sale.timeToSellOutMs !== undefined ? `sold out ${seconds(sale.timeToSellOutMs)} after the opening` : 'not sold out'}; buyers: ${counts(sale.outcomes)}`,
    `                bookings ${ms(sale.bookingLatency)}; confirmed ${ms(sale.confirmedLatency)}; answered 202: ${sale.answered202}; timed out: ${sale.timeouts}; needed a retry: ${sale.retriedBookings}`,
  ];
  if (sale.queue) {
    lines.push(`                bookings sent after the last join was answered: ${ms(sale.bookingLatencyAfterJoins)}`);
    lines.push(`                joins ${sale.joins.ok} ok${Object.keys(sale.joins.failedByReason).length ? `, ${counts(sale.joins.failedByReason)}` : ''}, ${ms(sale.joins.latency)}; fallback place reads ${sale.placeReads}`);
  }
  if (sale.admission) {
    lines.push(`Admission       ${sale.admission.admitted} admitted, first ${seconds(sale.admission.firstAfterOpeningMs ?? 0)} and last ${seconds(sale.admission.lastAfterOpeningMs ?? 0)} after the opening`);
  }
  if (sale.fairness) {
    lines.push(`Fairness        ${sale.fairness.inversions} admissions against place order over ${sale.fairness.places} places (${sale.fairness.drawnAtOpening} sent before the opening and drawn at random, the rest in arrival order), ${sale.fairness.skipped} passed over; at most ${sale.fairness.maxPlacesPerAccount} place(s) per account`);
  }
  if (sale.estimate) {
    const e = sale.estimate;
    lines.push(`Estimated wait  ${e.withinTolerance}/${e.predicted} (${(e.withinShare * 100).toFixed(1)}%) admitted within ±30% of their first estimate; |error| median ${e.medianAbsErrorPct}% (${e.medianAbsErrorSeconds} s), p90 ${e.p90AbsErrorPct}%; signed median ${e.medianSignedErrorPct > 0 ? '+' : ''}${e.medianSignedErrorPct}% (+: estimates ran long); ${e.unestimated} admitted before any estimate`);
  }
  if (sale.sockets) {
    const s = sale.sockets;
    lines.push(
      `Queue sockets   ${s.sockets} sockets, ${s.broadcasts} broadcasts, ${s.deliveries} deliveries (${s.missed} missed, ${s.lost} sockets lost), ${s.placeMessages} own-place messages`,
      `                change → every socket: p50 ${s.delivery.p50Ms} ms, p99 ${s.delivery.p99Ms} ms, max ${s.delivery.maxMs} ms; last socket per change p99 ${s.lastSocket.p99Ms} ms; first → last socket p99 ${s.spread.p99Ms} ms`,
    );
  }
  return lines;
}

/** The end-of-run summary printed by the CLI. */
export function formatSummary(result: LoadResult): string {
  const b = result.bookings;
  const lines: string[] = [];
  lines.push(`Boxoffice load test ${result.runId} — ${describeRun(result)}`);
  lines.push('');
  lines.push(`Bookings        ${b.requests} requests: ${b.confirmed} confirmed (${b.requests ? ((b.confirmed / b.requests) * 100).toFixed(1) : '0'}%), ${b.requests - b.confirmed} not; ${b.answeredPending} answered 202 and followed up`);
  lines.push(`Throughput      ${b.confirmedPerSecond} confirmed bookings/s, ${b.seatsPerSecond} seats/s, ${b.requestsPerSecond} requests/s over ${b.elapsedSeconds} s`);
  lines.push(`Latency (ms)    ${['count', 'mean', 'std dev', 'p50', 'p90', 'p99', 'max'].map((h, i) => pad(h, i === 0 ? 7 : 9)).join('')}`);
  lines.push(latencyRow('all bookings', b.latency));
  lines.push(latencyRow('confirmed', b.confirmedLatency));
  lines.push(latencyRow('not confirmed', b.failedLatency));
  if (b.refusedWithoutWorkflow.count + b.refusedByWorkflow.count > 0) {
    lines.push(latencyRow('lost at API', b.refusedWithoutWorkflow));
    lines.push(latencyRow('lost in saga', b.refusedByWorkflow));
  }
  lines.push(`Outcomes        confirmed ${b.confirmed} | ${counts(b.failedByReason)}`);
  lines.push(`HTTP status     ${counts(b.byStatus)}`);
  lines.push(`Retries         ${b.retries} retried call(s) over ${b.retriedBookings} booking(s); ${b.unresolved} booking(s) unresolved after settling`);
  lines.push(`Seats           ${result.sellOut.sold}/${result.sellOut.capacity} sold${result.sellOut.soldOutAtMs !== undefined ? `, sold out after ${seconds(result.sellOut.soldOutAtMs)}` : ', not sold out'}`);
  const perEvent = result.events.filter((event) => !event.ephemeral && event.soldOutAtMs !== undefined);
  if (perEvent.length > 1) lines.push(`                per event: ${perEvent.map((event) => seconds(event.soldOutAtMs)).join(', ')}`);
  if (result.droppedArrivals > 0) lines.push(`Open mode       ${result.droppedArrivals} arrivals dropped: ${result.options.connections} requests were already in flight`);
  if (result.cancels.count > 0) {
    lines.push(`Cancels         ${result.cancels.count} (${result.cancels.ok} ok${Object.keys(result.cancels.failedByReason).length ? `, ${counts(result.cancels.failedByReason)}` : ''}); ${result.churn.reboughtSeats} seat(s) bought again after a cancellation`);
    lines.push(latencyRow('cancel', result.cancels.latency));
  }
  if (result.eventsCreated.count > 0) lines.push(`Event churn     ${result.eventsCreated.ok} events created, ${result.eventsDeleted.ok} deleted while booking ran`);
  if (result.shares.length > 1 && result.shares.length <= 8) lines.push(`Shares          ${result.shares.map((share) => `customer ${share.customer}: ${share.seats} seats`).join(' | ')}`);
  for (const [variant, finding] of Object.entries(result.sameRequest ?? {})) {
    const postgres = finding.reservationsInPostgres ? `; Postgres: reservations ${counts(finding.reservationsInPostgres)}, ${finding.chargesInPostgres ?? 0} charge(s)` : '';
    lines.push(`Same request    ${variant}: ${finding.requests} requests → ${finding.distinctReservations} distinct reservation(s), ${finding.confirmedAnswers} confirmed answers, ${counts(finding.failedByReason)}${postgres}`);
  }
  if (result.onSale) lines.push(...onSaleLines(result.onSale));
  const c = result.contention;
  lines.push(`Seat locks      ${c.seatLocks.claims} claims waited ${seconds(c.seatLocks.waitTotalMs)} in all for seat rows`);
  lines.push(latencyRow('seat-lock wait', c.seatLocks.wait));
  lines.push(latencyRow('half-done', c.intermediateStates.visible) + `   (${c.intermediateStates.reservations} reservations whose held seats readers could see)`);
  if (c.twoPhase) {
    lines.push(`Two-phase       ${c.twoPhase.transactions} transactions: ${c.twoPhase.committed} committed, ${c.twoPhase.aborted} aborted, ${c.twoPhase.recovered} resolved by recovery`);
    lines.push(latencyRow('rows locked', c.twoPhase.lockHeld));
  }
  lines.push(`API memory      ${result.apiMemory.maxRssBytes !== undefined ? `max RSS ${(result.apiMemory.maxRssBytes / 1048576).toFixed(1)} MiB (${result.apiMemory.samples.length} samples of /metrics)` : 'not measured (/metrics did not answer)'}`);
  lines.push(`Settle          ${seconds(result.settle.tookMs)}: ${result.settle.followedUp} booking(s) followed up, ${result.settle.holdsCancelled} hold(s) cancelled`);
  const v = result.verification;
  if (v.ok && result.settle.problems.length === 0) {
    lines.push(`Invariants      OK: no violation over ${result.events.length} event(s) (settled, read model equal), no workflow running, Postgres sells exactly what was confirmed`);
  } else {
    lines.push('Invariants      FAILED');
    for (const problem of [...result.settle.problems, ...v.problems].slice(0, 30)) lines.push(`  - ${problem}`);
  }
  return lines.join('\n');
}
