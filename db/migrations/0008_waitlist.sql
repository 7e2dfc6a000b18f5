CREATE TABLE "booking"."waitlist" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"place" bigserial NOT NULL,
	"event_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"status" text DEFAULT 'waiting' NOT NULL,
	"template" jsonb NOT NULL,
	"join_key" text NOT NULL,
	"reservation_id" uuid,
	"released_by" uuid,
	"offer_expires_at" timestamp with time zone,
	"announced" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "waitlist_quantity_positive" CHECK ("booking"."waitlist"."quantity" > 0),
	CONSTRAINT "waitlist_offer_has_reservation" CHECK (("booking"."waitlist"."status" = 'offered') = ("booking"."waitlist"."reservation_id" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "notify"."notifications" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "waitlist_one_waiting_idx" ON "booking"."waitlist" USING btree ("event_id","customer_id") WHERE "booking"."waitlist"."status" = 'waiting';--> statement-breakpoint
CREATE INDEX "waitlist_line_idx" ON "booking"."waitlist" USING btree ("event_id","place") WHERE "booking"."waitlist"."status" = 'waiting';--> statement-breakpoint
CREATE INDEX "waitlist_unannounced_idx" ON "booking"."waitlist" USING btree ("event_id") WHERE "booking"."waitlist"."status" = 'offered' AND NOT "booking"."waitlist"."announced";--> statement-breakpoint
CREATE UNIQUE INDEX "waitlist_offer_idx" ON "booking"."waitlist" USING btree ("reservation_id");--> statement-breakpoint
-- The waiting list belongs to booking: its activities join, leave and hand released seats to it in
-- the seat release's own transaction. The API only reads it (positions, the organizer's stats);
-- joining and leaving go through the event's waiting-list workflow, like every booking change.
GRANT SELECT, INSERT, UPDATE, DELETE ON booking.waitlist TO boxoffice_booking;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE booking.waitlist_place_seq TO boxoffice_booking;
--> statement-breakpoint
GRANT SELECT ON booking.waitlist TO boxoffice_api;
