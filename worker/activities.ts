import { connectAs, type DatabaseHandle } from '../db/client.js';
import { createPaymentActivities } from '../activities/payments.js';
import { createSimulatedGateway, type PaymentGateway } from '../activities/payment-gateway.js';
import { createSeatActivities } from '../activities/seats.js';
import { createTicketActivities } from '../activities/tickets.js';
import type { Config } from '../lib/config.js';

export interface ActivityResources {
  activities: ReturnType<typeof createSeatActivities> & ReturnType<typeof createPaymentActivities> & ReturnType<typeof createTicketActivities>;
  close(): Promise<void>;
}

/** Every activity, each module connected as its own service role. */
export function createActivities(cfg: Config, options: { gateway?: PaymentGateway; poolSize?: number } = {}): ActivityResources {
  // Three pools per worker process; keep the sum well under Postgres' 100 connections.
  const max = options.poolSize ?? 5;
  const handles: DatabaseHandle[] = [connectAs('booking', { max }), connectAs('payments', { max }), connectAs('ticketing', { max })];
  const [booking, payments, ticketing] = handles as [DatabaseHandle, DatabaseHandle, DatabaseHandle];
  const gateway = options.gateway ?? createSimulatedGateway({ failureRate: cfg.PAYMENT_FAILURE_RATE, latencyMs: cfg.PAYMENT_LATENCY_MS });
  return {
    activities: {
      ...createSeatActivities(booking.sql),
      ...createPaymentActivities(payments.sql, gateway),
      ...createTicketActivities(ticketing.sql),
    },
    close: async () => {
      await Promise.all(handles.map((handle) => handle.close()));
    },
  };
}
