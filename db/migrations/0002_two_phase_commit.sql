CREATE SCHEMA "coordinator";
--> statement-breakpoint
CREATE TYPE "coordinator"."decision_outcome" AS ENUM('commit', 'abort');--> statement-breakpoint
CREATE TABLE "coordinator"."decisions" (
	"transaction_id" text PRIMARY KEY NOT NULL,
	"reservation_id" uuid NOT NULL,
	"outcome" "coordinator"."decision_outcome" NOT NULL,
	"decided_by" text NOT NULL,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"lock_held_ms" integer
);
--> statement-breakpoint
CREATE INDEX "decisions_reservation_idx" ON "coordinator"."decisions" USING btree ("reservation_id");