import postgres from 'postgres';

/** The Postgres error behind a failed query; drizzle wraps it in its own error's `cause`. */
export function postgresErrorOf(error: unknown): postgres.PostgresError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (current instanceof postgres.PostgresError) return current;
  }
  return undefined;
}

export const isUniqueViolation = (error: unknown): boolean => postgresErrorOf(error)?.code === '23505';
