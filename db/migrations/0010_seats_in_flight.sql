CREATE SCHEMA "inflight";
--> statement-breakpoint
CREATE TABLE "inflight"."seat_requests" (
	"event_id" uuid NOT NULL,
	"seat_id" text NOT NULL,
	"reservation_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "seat_requests_event_id_seat_id_pk" PRIMARY KEY("event_id","seat_id")
);
--> statement-breakpoint
CREATE INDEX "seat_requests_reservation_idx" ON "inflight"."seat_requests" USING btree ("reservation_id");--> statement-breakpoint
-- Only the API enters and removes requests in flight (api/routes/reservations/seats-in-flight.ts);
-- the seat-lock never reads them: it stays the authority on every seat.
GRANT USAGE ON SCHEMA inflight TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON inflight.seat_requests TO boxoffice_api;
