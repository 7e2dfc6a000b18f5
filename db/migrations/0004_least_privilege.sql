CREATE TABLE "payments"."payment_tokens" (
	"reference" uuid PRIMARY KEY NOT NULL,
	"reservation_id" uuid NOT NULL,
	"token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Least privilege (issue 13, item 8). Every grant below is what the role's code does, read from
-- its queries (activities/, api/, worker/projector.ts, activities/two-phase-commit/); nothing more.
-- Grants are per database and roles cluster-wide, so everything here is idempotent and names the
-- tables it narrows (tables added by later migrations keep the grants those give them).
REVOKE ALL ON identity.users, catalog.events,
  booking.inventories, booking.seats, booking.reservations, booking.outbox,
  payments.charges, payments.refunds, payments.payment_tokens,
  ticketing.tickets,
  readmodel.seat_states, readmodel.event_availability, readmodel.reservation_summaries, readmodel.projection_cursors,
  coordinator.decisions
FROM PUBLIC, boxoffice_api, boxoffice_booking, boxoffice_payments, boxoffice_ticketing, boxoffice_projection, boxoffice_coordinator;
--> statement-breakpoint
REVOKE ALL ON SEQUENCE booking.outbox_id_seq FROM PUBLIC, boxoffice_api, boxoffice_booking, boxoffice_payments, boxoffice_ticketing, boxoffice_projection, boxoffice_coordinator;
--> statement-breakpoint
-- API: registers and reads users (no route deletes or edits one), creates, edits and cancels events
-- (cancelling is an UPDATE), reads reservations, tickets and the read model, and deposits payment
-- tokens it can never read back.
GRANT SELECT, INSERT ON identity.users TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON catalog.events TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT ON booking.reservations, ticketing.tickets TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT ON readmodel.seat_states, readmodel.event_availability, readmodel.reservation_summaries TO boxoffice_api;
--> statement-breakpoint
GRANT USAGE ON SCHEMA payments TO boxoffice_api;
--> statement-breakpoint
GRANT INSERT ON payments.payment_tokens TO boxoffice_api;
--> statement-breakpoint
-- Booking activities: seats and inventories change state, reservations are upserted; nothing is
-- deleted (released reservations stay as tombstones); the outbox is append-only.
GRANT SELECT, INSERT, UPDATE ON booking.inventories, booking.seats, booking.reservations TO boxoffice_booking;
--> statement-breakpoint
GRANT INSERT ON booking.outbox TO boxoffice_booking;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE booking.outbox_id_seq TO boxoffice_booking;
--> statement-breakpoint
-- Payment activities: the ledger is append-only (a refund is a row of its own, a charge row is never
-- changed); a deposited token is read once and deleted when it is charged.
GRANT SELECT, INSERT ON payments.charges, payments.refunds TO boxoffice_payments;
--> statement-breakpoint
GRANT SELECT, DELETE ON payments.payment_tokens TO boxoffice_payments;
--> statement-breakpoint
-- Ticketing activities: issue, void and check in (updates of the status); tickets are never deleted.
GRANT SELECT, INSERT, UPDATE ON ticketing.tickets TO boxoffice_ticketing;
--> statement-breakpoint
-- Projection: reads the outbox and the booking rows it points at; owns the read model, whose seat
-- rows it replaces (DELETE + INSERT) and whose other tables it upserts.
GRANT SELECT ON booking.outbox, booking.seats, booking.reservations TO boxoffice_projection;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON readmodel.seat_states TO boxoffice_projection;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON readmodel.event_availability, readmodel.reservation_summaries, readmodel.projection_cursors TO boxoffice_projection;
--> statement-breakpoint
-- Coordinator: logs decisions and marks them completed; a decision is never deleted.
GRANT SELECT, INSERT, UPDATE ON coordinator.decisions TO boxoffice_coordinator;
--> statement-breakpoint
-- Nothing for PUBLIC: a role that is none of the above (or one created later) can neither connect
-- nor create temporary tables, and sees nothing in the public schema. Functions created later by
-- the owner are not executable by everyone either.
DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()); END $$;
--> statement-breakpoint
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO boxoffice_api, boxoffice_booking, boxoffice_payments, boxoffice_ticketing, boxoffice_projection, boxoffice_coordinator', current_database()); END $$;
--> statement-breakpoint
REVOKE ALL ON SCHEMA public FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
--> statement-breakpoint
-- A runaway statement is cancelled instead of holding connections and locks. Per database (roles
-- are shared by the cluster's databases). These are lib/config.ts's defaults; scripts/migrate.ts
-- (prepareDatabases) sets the configured values after every migration.
DO $$
DECLARE setting record;
BEGIN
  FOR setting IN SELECT * FROM (VALUES
    ('boxoffice_api', 5000), ('boxoffice_booking', 30000), ('boxoffice_payments', 15000),
    ('boxoffice_ticketing', 10000), ('boxoffice_projection', 30000), ('boxoffice_coordinator', 10000)
  ) AS t(role, ms)
  LOOP
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET statement_timeout = %s', setting.role, current_database(), setting.ms);
  END LOOP;
END $$;
