-- One Postgres role per service, with rights on its own schema only, so that a bug in one service
-- cannot write another service's data (the payment activities cannot touch booking tables).
-- Roles are cluster-wide: create them only when missing. Passwords are set outside migrations
-- (ALTER ROLE ... PASSWORD) where the server does not trust local connections.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['boxoffice_api', 'boxoffice_booking', 'boxoffice_payments', 'boxoffice_ticketing', 'boxoffice_projection']
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN', r);
    END IF;
  END LOOP;
END $$;
--> statement-breakpoint
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO boxoffice_api, boxoffice_booking, boxoffice_payments, boxoffice_ticketing, boxoffice_projection', current_database()); END $$;
--> statement-breakpoint
-- API: owns identity and the catalogue; reads reservations, tickets and the read model. It never
-- writes booking state: that goes through the reservation workflows.
GRANT USAGE ON SCHEMA identity, catalog TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA identity, catalog TO boxoffice_api;
--> statement-breakpoint
GRANT USAGE ON SCHEMA booking, ticketing, readmodel TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT ON booking.reservations, booking.inventories, ticketing.tickets TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT ON ALL TABLES IN SCHEMA readmodel TO boxoffice_api;
--> statement-breakpoint
-- Booking activities: seat inventory, reservations, outbox.
GRANT USAGE ON SCHEMA booking TO boxoffice_booking;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA booking TO boxoffice_booking;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA booking TO boxoffice_booking;
--> statement-breakpoint
-- Payment activities: charges and refunds.
GRANT USAGE ON SCHEMA payments TO boxoffice_payments;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA payments TO boxoffice_payments;
--> statement-breakpoint
-- Ticketing activities: tickets.
GRANT USAGE ON SCHEMA ticketing TO boxoffice_ticketing;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ticketing TO boxoffice_ticketing;
--> statement-breakpoint
-- Projection: reads the booking outbox, owns the read model (whose columns use booking's enum types).
GRANT USAGE ON SCHEMA booking, readmodel TO boxoffice_projection;
--> statement-breakpoint
GRANT SELECT ON booking.outbox, booking.seats, booking.reservations TO boxoffice_projection;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA readmodel TO boxoffice_projection;
