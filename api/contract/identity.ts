import { z } from 'zod';
import { userRoles } from '../../db/schema/identity.js';

export const user = z.object({ id: z.uuid(), email: z.string(), name: z.string(), role: z.enum(userRoles) });
export type User = z.infer<typeof user>;

/** Register and log-in answer: the account and a bearer token. */
export const session = z.object({ user, token: z.string() });
export type Session = z.infer<typeof session>;

export const userList = z.object({ users: z.array(user) });
export type UserList = z.infer<typeof userList>;
