import { index, integer, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The API's rate-limit counters (rate-limiter-flexible's Drizzle store, as api/rate-limit-store.ts
 * sends it), in the shared database so that every API process counts against the same numbers.
 * Rows are throw-away: a counter lives until `expire`; the library deletes rows expired over an
 * hour ago every five minutes.
 */
export const ratelimit = pgSchema('ratelimit');

export const rateLimitCounters = ratelimit.table('counters', {
  /** `<limiter prefix>:<key>`, e.g. `login-account:ann@example.test`. */
  key: text('key').primaryKey(),
  points: integer('points').notNull(),
  expire: timestamp('expire', { withTimezone: true }),
}, (table) => [index('counters_expire_idx').on(table.expire)]);
