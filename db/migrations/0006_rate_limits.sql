CREATE SCHEMA "ratelimit";
--> statement-breakpoint
CREATE TABLE "ratelimit"."counters" (
	"key" text PRIMARY KEY NOT NULL,
	"points" integer NOT NULL,
	"expire" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "counters_expire_idx" ON "ratelimit"."counters" USING btree ("expire");--> statement-breakpoint
-- The API counts failed logins, registrations and booking attempts here (api/rate-limits.ts); the
-- library's clean-up deletes expired rows.
GRANT USAGE ON SCHEMA ratelimit TO boxoffice_api;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ratelimit.counters TO boxoffice_api;
