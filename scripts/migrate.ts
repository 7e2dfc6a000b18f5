import { config } from '../lib/config.js';
import { runMigrations } from '../db/migrate.js';

/** `npm run db:migrate`: creates the database if needed and applies the committed migrations. */
await runMigrations(config().DATABASE_URL);
console.log(`Migrations applied to ${new URL(config().DATABASE_URL).pathname.slice(1)}`);
