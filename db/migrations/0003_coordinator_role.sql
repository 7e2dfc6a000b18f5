-- The two-phase-commit coordinator's role: its decision log only. It commits and rolls back the
-- participants' prepared transactions through their own roles (Postgres lets only the preparing
-- role, or a superuser, finish a prepared transaction).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'boxoffice_coordinator') THEN
    CREATE ROLE boxoffice_coordinator LOGIN;
  END IF;
END $$;
--> statement-breakpoint
DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO boxoffice_coordinator', current_database()); END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA coordinator TO boxoffice_coordinator;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA coordinator TO boxoffice_coordinator;
