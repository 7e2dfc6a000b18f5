import { z } from 'zod';

/** Every error answer: a stable code, a human message, sometimes details. */
export const errorBody = z.object({ error: z.string(), message: z.string(), details: z.unknown().optional() });
export type ErrorBody = z.infer<typeof errorBody>;
