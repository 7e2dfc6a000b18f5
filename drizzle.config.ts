import { defineConfig } from 'drizzle-kit';
import { config } from './lib/config.js';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/index.ts',
  out: './db/migrations',
  // drizzle-kit only looks at `public` unless told otherwise.
  schemaFilter: ['identity', 'catalog', 'booking', 'payments', 'ticketing', 'readmodel', 'coordinator', 'notify', 'ratelimit', 'waitroom', 'inflight'],
  dbCredentials: { url: config().DATABASE_URL },
});
