CREATE SCHEMA "identity";
--> statement-breakpoint
CREATE SCHEMA "catalog";
--> statement-breakpoint
CREATE SCHEMA "booking";
--> statement-breakpoint
CREATE SCHEMA "payments";
--> statement-breakpoint
CREATE SCHEMA "ticketing";
--> statement-breakpoint
CREATE SCHEMA "readmodel";
--> statement-breakpoint
CREATE TYPE "identity"."user_role" AS ENUM('customer', 'organizer', 'admin');--> statement-breakpoint
CREATE TYPE "catalog"."event_status" AS ENUM('on_sale', 'cancelled');--> statement-breakpoint
CREATE TYPE "catalog"."seating_type" AS ENUM('reserved', 'general');--> statement-breakpoint
CREATE TYPE "booking"."reservation_status" AS ENUM('pending', 'held', 'confirmed', 'failed', 'expired', 'cancelled');--> statement-breakpoint
CREATE TYPE "booking"."seat_status" AS ENUM('available', 'held', 'sold');--> statement-breakpoint
CREATE TYPE "payments"."charge_status" AS ENUM('captured', 'declined');--> statement-breakpoint
CREATE TYPE "ticketing"."ticket_status" AS ENUM('valid', 'void', 'used');--> statement-breakpoint
CREATE TABLE "identity"."users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"role" "identity"."user_role" DEFAULT 'customer' NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "catalog"."events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organizer_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"venue" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"price_cents" integer NOT NULL,
	"currency" text DEFAULT 'EUR' NOT NULL,
	"seating_type" "catalog"."seating_type" NOT NULL,
	"rows" integer,
	"seats_per_row" integer,
	"capacity" integer NOT NULL,
	"status" "catalog"."event_status" DEFAULT 'on_sale' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_price_nonnegative" CHECK ("catalog"."events"."price_cents" >= 0),
	CONSTRAINT "events_capacity_positive" CHECK ("catalog"."events"."capacity" > 0),
	CONSTRAINT "events_geometry" CHECK (("catalog"."events"."seating_type" = 'reserved' AND "catalog"."events"."rows" > 0 AND "catalog"."events"."seats_per_row" > 0 AND "catalog"."events"."capacity" = "catalog"."events"."rows" * "catalog"."events"."seats_per_row")
        OR ("catalog"."events"."seating_type" = 'general' AND "catalog"."events"."rows" IS NULL AND "catalog"."events"."seats_per_row" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "booking"."inventories" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"capacity" integer NOT NULL,
	"closed" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "booking"."outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"txid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"event_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "booking"."reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"workflow_id" text NOT NULL,
	"status" "booking"."reservation_status" DEFAULT 'pending' NOT NULL,
	"seat_ids" text[] NOT NULL,
	"quantity" integer NOT NULL,
	"amount_cents" integer NOT NULL,
	"refunded_cents" integer DEFAULT 0 NOT NULL,
	"currency" text NOT NULL,
	"failure_reason" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_workflow_id_unique" UNIQUE("workflow_id")
);
--> statement-breakpoint
CREATE TABLE "booking"."seats" (
	"event_id" uuid NOT NULL,
	"seat_id" text NOT NULL,
	"position" integer NOT NULL,
	"status" "booking"."seat_status" DEFAULT 'available' NOT NULL,
	"reservation_id" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "seats_event_id_seat_id_pk" PRIMARY KEY("event_id","seat_id"),
	CONSTRAINT "seats_holder_matches_status" CHECK (("booking"."seats"."status" = 'available') = ("booking"."seats"."reservation_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "payments"."charges" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"reservation_id" uuid NOT NULL,
	"amount_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"status" "payments"."charge_status" NOT NULL,
	"gateway_reference" text NOT NULL,
	"decline_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "charges_amount_positive" CHECK ("payments"."charges"."amount_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "payments"."refunds" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"charge_key" text NOT NULL,
	"reservation_id" uuid NOT NULL,
	"amount_cents" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "refunds_charge_key_unique" UNIQUE("charge_key")
);
--> statement-breakpoint
CREATE TABLE "ticketing"."tickets" (
	"code" text PRIMARY KEY NOT NULL,
	"reservation_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"seat_id" text NOT NULL,
	"status" "ticketing"."ticket_status" DEFAULT 'valid' NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"voided_at" timestamp with time zone,
	"checked_in_at" timestamp with time zone,
	CONSTRAINT "tickets_one_per_seat" UNIQUE("reservation_id","seat_id")
);
--> statement-breakpoint
CREATE TABLE "readmodel"."event_availability" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"held" integer DEFAULT 0 NOT NULL,
	"sold" integer DEFAULT 0 NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "readmodel"."projection_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"last_txid" "xid8" DEFAULT '0'::xid8 NOT NULL,
	"last_outbox_id" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "readmodel"."reservation_summaries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"status" "booking"."reservation_status" NOT NULL,
	"amount_cents" integer NOT NULL,
	"refunded_cents" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "readmodel"."seat_states" (
	"event_id" uuid NOT NULL,
	"seat_id" text NOT NULL,
	"status" "booking"."seat_status" NOT NULL,
	"reservation_id" uuid,
	CONSTRAINT "seat_states_event_id_seat_id_pk" PRIMARY KEY("event_id","seat_id")
);
--> statement-breakpoint
ALTER TABLE "payments"."refunds" ADD CONSTRAINT "refunds_charge_key_charges_idempotency_key_fk" FOREIGN KEY ("charge_key") REFERENCES "payments"."charges"("idempotency_key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_organizer_idx" ON "catalog"."events" USING btree ("organizer_id");--> statement-breakpoint
CREATE INDEX "outbox_order_idx" ON "booking"."outbox" USING btree ("txid","id");--> statement-breakpoint
CREATE INDEX "reservations_event_idx" ON "booking"."reservations" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "reservations_customer_idx" ON "booking"."reservations" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "seats_reservation_idx" ON "booking"."seats" USING btree ("reservation_id");--> statement-breakpoint
CREATE INDEX "seats_free_idx" ON "booking"."seats" USING btree ("event_id","position") WHERE "booking"."seats"."status" = 'available';--> statement-breakpoint
CREATE INDEX "charges_reservation_idx" ON "payments"."charges" USING btree ("reservation_id");--> statement-breakpoint
CREATE INDEX "refunds_reservation_idx" ON "payments"."refunds" USING btree ("reservation_id");--> statement-breakpoint
CREATE INDEX "tickets_event_idx" ON "ticketing"."tickets" USING btree ("event_id");