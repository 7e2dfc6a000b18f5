CREATE SCHEMA "claims";
--> statement-breakpoint
CREATE TABLE "claims"."seat_claims" (
	"event_id" uuid NOT NULL,
	"seat_id" text NOT NULL,
	"reservation_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "seat_claims_event_id_seat_id_pk" PRIMARY KEY("event_id","seat_id")
);
--> statement-breakpoint
CREATE INDEX "seat_claims_reservation_idx" ON "claims"."seat_claims" USING btree ("reservation_id");--> statement-breakpoint
-- Only the API claims and releases seats (api/routes/reservations/seat-claims.ts); the seat-lock
-- never reads claims: it stays the authority on every seat.
GRANT USAGE ON SCHEMA claims TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON claims.seat_claims TO boxoffice_api;
