CREATE SCHEMA "notify";
--> statement-breakpoint
CREATE TYPE "notify"."notification_type" AS ENUM('reminder', 'event_changed', 'event_cancelled', 'offer', 'reservation');--> statement-breakpoint
CREATE TABLE "notify"."notifications" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "notify"."notifications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" uuid NOT NULL,
	"type" "notify"."notification_type" NOT NULL,
	"event_id" uuid,
	"reservation_id" uuid,
	"message" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notifications_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "notify"."subscriptions" (
	"event_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscriptions_event_id_user_id_pk" PRIMARY KEY("event_id","user_id")
);
--> statement-breakpoint
CREATE INDEX "notifications_user_idx" ON "notify"."notifications" USING btree ("user_id","id");--> statement-breakpoint
-- The reminder activities' own role: reads the catalogue and the subscriptions, writes notifications.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'boxoffice_notify') THEN
    CREATE ROLE boxoffice_notify LOGIN;
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO boxoffice_notify', current_database()); END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA notify, catalog TO boxoffice_notify;
--> statement-breakpoint
GRANT SELECT ON catalog.events, notify.subscriptions TO boxoffice_notify;
--> statement-breakpoint
GRANT SELECT, INSERT ON notify.notifications TO boxoffice_notify;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE notify.notifications_id_seq TO boxoffice_notify;
--> statement-breakpoint
-- API: owns the subscriptions, reads the notifications (never writes them).
GRANT USAGE ON SCHEMA notify TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT, INSERT, DELETE ON notify.subscriptions TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT ON notify.notifications TO boxoffice_api;
--> statement-breakpoint
-- Projection: a reservation's status change becomes its customer's notification, named by the event.
GRANT USAGE ON SCHEMA notify, catalog TO boxoffice_projection;
--> statement-breakpoint
GRANT SELECT ON catalog.events TO boxoffice_projection;
--> statement-breakpoint
GRANT SELECT, INSERT ON notify.notifications TO boxoffice_projection;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE notify.notifications_id_seq TO boxoffice_projection;
