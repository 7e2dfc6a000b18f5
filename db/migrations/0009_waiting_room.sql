CREATE SCHEMA "waitroom";
--> statement-breakpoint
CREATE TYPE "waitroom"."place_status" AS ENUM('pre_queue', 'waiting', 'admitted', 'booked', 'expired', 'sold_out', 'closed');--> statement-breakpoint
CREATE TYPE "waitroom"."queue_state" AS ENUM('pre_opening', 'open', 'sold_out', 'closed');--> statement-breakpoint
CREATE TABLE "waitroom"."places" (
	"event_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"place" integer,
	"draw_key" bigint NOT NULL,
	"status" "waitroom"."place_status" NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	"admitted_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"booked_at" timestamp with time zone,
	"booking_ms" integer,
	CONSTRAINT "places_event_id_account_id_pk" PRIMARY KEY("event_id","account_id"),
	CONSTRAINT "places_event_place_unique" UNIQUE("event_id","place"),
	CONSTRAINT "places_place_positive" CHECK ("waitroom"."places"."place" IS NULL OR "waitroom"."places"."place" > 0)
);
--> statement-breakpoint
CREATE TABLE "waitroom"."queues" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"state" "waitroom"."queue_state" DEFAULT 'pre_opening' NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"admitted_through" integer DEFAULT 0 NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"rate_per_minute" double precision DEFAULT 0 NOT NULL,
	"admission_window" integer,
	"opened_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "queues_counters" CHECK ("waitroom"."queues"."admitted_through" >= 0 AND "waitroom"."queues"."admitted_through" <= "waitroom"."queues"."total")
);
--> statement-breakpoint
ALTER TABLE "catalog"."events" ADD COLUMN "queue_opens_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "catalog"."events" ADD COLUMN "queue_join_opens_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "catalog"."events" ADD COLUMN "queue_admit_per_minute" integer;--> statement-breakpoint
CREATE INDEX "places_event_status_idx" ON "waitroom"."places" USING btree ("event_id","status","place");--> statement-breakpoint
ALTER TABLE "catalog"."events" ADD CONSTRAINT "events_queue" CHECK (("catalog"."events"."queue_opens_at" IS NULL AND "catalog"."events"."queue_join_opens_at" IS NULL AND "catalog"."events"."queue_admit_per_minute" IS NULL)
        OR ("catalog"."events"."queue_opens_at" IS NOT NULL AND "catalog"."events"."queue_join_opens_at" IS NOT NULL AND "catalog"."events"."queue_join_opens_at" <= "catalog"."events"."queue_opens_at" AND ("catalog"."events"."queue_admit_per_minute" IS NULL OR "catalog"."events"."queue_admit_per_minute" > 0)));--> statement-breakpoint
-- The waiting room belongs to the API service (docs/waiting-room.md): the API writes joins (a place,
-- and the queue's counter after the opening), sets up and closes an event's queue, and marks a
-- place booked; the on-sale workflow's activities run in the worker as the same role, drawing the
-- pre-queue's order and admitting, lapsing and closing places. Nothing is ever deleted.
GRANT USAGE ON SCHEMA waitroom TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON waitroom.queues, waitroom.places TO boxoffice_api;
