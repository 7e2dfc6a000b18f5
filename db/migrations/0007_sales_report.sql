ALTER TABLE "readmodel"."reservation_summaries" ADD COLUMN "quantity" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "readmodel"."reservation_summaries" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "reservation_summaries_created_idx" ON "readmodel"."reservation_summaries" USING btree ("created_at");--> statement-breakpoint
-- Summaries projected before these columns existed: copy them from the booking store where it lives
-- in this database (the default). Where booking has a database of its own this finds nothing, and
-- those older rows keep quantity 0 and the migration's time until the reservation changes again.
UPDATE "readmodel"."reservation_summaries" AS s SET "quantity" = r."quantity", "created_at" = r."created_at"
FROM "booking"."reservations" AS r WHERE r."id" = s."id";
