import { configDefaults, defineConfig } from 'vitest/config';

const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/boxoffice_test';

/** Booking, payments and ticketing each in a database of its own, as two-phase commit is meant to be tried. */
function serviceDatabase(service: 'booking' | 'payments' | 'ticketing'): string {
  const url = new URL(testDatabaseUrl);
  url.pathname = `${url.pathname}_${service}`;
  url.username = `boxoffice_${service}`;
  url.password = '';
  return url.toString();
}

const unitTests = 'test/unit/**/*.test.ts';

export default defineConfig({
  test: {
    // One summary line for the whole run, whichever projects ran.
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        // Pure code only: no database, no Temporal, no global setup (`npm run test:unit`).
        test: {
          name: 'unit',
          include: [unitTests],
          // Projects with pools of their own run one after the other: the fast tier first.
          sequence: { groupOrder: 0 },
          env: { NODE_ENV: 'test', LOG_LEVEL: 'warn' },
        },
      },
      {
        // The real system: a fresh test database and a Temporal dev server of its own (test/global-setup.ts).
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          exclude: [...configDefaults.exclude, unitTests],
          globalSetup: ['test/global-setup.ts'],
          // The Temporal SDK's native bridge is happier in child processes than in worker threads.
          pool: 'forks',
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // Never collide with a running `npm start`: own database, own Temporal port, no UI.
          env: {
            NODE_ENV: 'test',
            LOG_LEVEL: 'warn',
            DATABASE_URL: testDatabaseUrl,
            BOOKING_DATABASE_URL: serviceDatabase('booking'),
            PAYMENTS_DATABASE_URL: serviceDatabase('payments'),
            TICKETING_DATABASE_URL: serviceDatabase('ticketing'),
            TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS ?? '127.0.0.1:7243',
            TEMPORAL_NAMESPACE: 'default',
            // Every test file calls the API from 127.0.0.1 into one counter store: per-address
            // limits would add up the whole suite's registrations and failed logins. The rate
            // limit tests set their own limits and send each attempt from an address of its own.
            REGISTRATIONS_PER_ADDRESS: '100000',
            LOGIN_FAILURES_PER_ADDRESS: '100000',
          },
        },
      },
    ],
  },
});
