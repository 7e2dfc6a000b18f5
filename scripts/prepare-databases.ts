import { ensureDatabase, runMigrations } from '../db/migrate.js';
import { applyStatementTimeouts } from '../db/role-settings.js';
import { distinctStoreOwnerUrls, statementTimeoutsMs, type Config } from '../lib/config.js';
import { ensurePreparedTransactions, PreparedTransactionsUnavailable } from './prepared-transactions.js';

/**
 * Everything the stores need before a service starts: prepared transactions enabled (two-phase
 * commit), and every distinct database (shared, booking, payments, ticketing) created and migrated.
 * Each database gets every schema; a service uses only its own one there. Each service role gets
 * its configured statement_timeout there.
 */
export async function prepareDatabases(cfg: Config, say: (line: string) => void, options: { requirePreparedTransactions?: boolean } = {}): Promise<string[]> {
  const urls = distinctStoreOwnerUrls(cfg);
  for (const url of urls) await ensureDatabase(url);
  try {
    await ensurePreparedTransactions(urls[0] ?? cfg.DATABASE_URL, say);
  } catch (error) {
    // The saga (the default) does not need them: say what two-phase commit would need, and go on.
    if (options.requirePreparedTransactions || !(error instanceof PreparedTransactionsUnavailable)) throw error;
    say(`${error.message}\nUntil then the saga works and BOOKING_PROTOCOL=2pc answers 502 (two_phase_commit_unavailable).`);
  }
  for (const url of urls) {
    await runMigrations(url);
    await applyStatementTimeouts(url, statementTimeoutsMs(cfg));
  }
  return urls.map((url) => decodeURIComponent(new URL(url).pathname.slice(1)));
}
