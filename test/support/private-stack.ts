import { loadConfig } from '../../lib/config.js';
import { createPrivatePostgres, type PrivatePostgres } from '../../scripts/private-postgres.js';
import { prepareDatabases } from '../../scripts/prepare-databases.js';
import { startStack, type Stack, type StackOptions } from './stack.js';

export interface PrivateStack extends Stack {
  /** The stack's own Postgres cluster: restart it, kill it, start it again. */
  postgres: PrivatePostgres;
}

/** Every store's URL on `base`'s server: booking, payments and ticketing in databases of their own, as in the shared test setup. */
export function storeEnv(base: string): Record<string, string> {
  const at = (suffix: string, role: string) => {
    const url = new URL(base);
    url.pathname = `${url.pathname}${suffix}`;
    url.username = role;
    return url.toString();
  };
  return {
    DATABASE_URL: base,
    API_DATABASE_URL: at('', 'boxoffice_api'),
    PROJECTION_DATABASE_URL: at('', 'boxoffice_projection'),
    COORDINATOR_DATABASE_URL: at('', 'boxoffice_coordinator'),
    BOOKING_DATABASE_URL: at('_booking', 'boxoffice_booking'),
    PAYMENTS_DATABASE_URL: at('_payments', 'boxoffice_payments'),
    TICKETING_DATABASE_URL: at('_ticketing', 'boxoffice_ticketing'),
  };
}

/**
 * startStack on a Postgres cluster of its own (port `port`), created, migrated and, by `stop()`,
 * removed: fault tests restart and kill it without disturbing anyone. Temporal is the shared test
 * server.
 */
export async function startPrivateStack(port: number, options: StackOptions = {}): Promise<PrivateStack> {
  const postgres = createPrivatePostgres({ port });
  try {
    const env = { ...storeEnv(`postgres://postgres@127.0.0.1:${port}/boxoffice_fault_test`), ...options.env };
    await prepareDatabases(loadConfig({ ...process.env, ...env }), () => {}, { requirePreparedTransactions: true });
    const stack = await startStack({ ...options, env });
    return {
      ...stack,
      postgres,
      async stop() {
        try {
          await stack.stop();
        } finally {
          postgres.remove();
        }
      },
    };
  } catch (error) {
    postgres.remove();
    throw error;
  }
}
