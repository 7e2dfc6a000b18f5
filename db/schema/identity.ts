import { pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const identity = pgSchema('identity');

export const userRoles = ['customer', 'organizer', 'admin'] as const;
export type UserRole = (typeof userRoles)[number];
export const userRole = identity.enum('user_role', userRoles);

export const users = identity.table('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** Stored lower-cased, so the unique index is case-insensitive. */
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  role: userRole('role').notNull().default('customer'),
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
