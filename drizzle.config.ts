import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/index.ts',
  out: './db/migrations',
  // drizzle-kit only looks at `public` unless told otherwise.
  schemaFilter: ['identity', 'catalog', 'booking', 'payments', 'ticketing', 'readmodel', 'coordinator'],
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/boxoffice' },
});
