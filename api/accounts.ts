import { inArray } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/client.js';
import { users } from '../db/schema/identity.js';
import type { AuthUser } from './auth.js';
import { isPostgresUnavailable } from './dependency-errors.js';
import { Unauthorized } from './errors.js';

/** Beyond this many accounts the least recently used are forgotten: the cache stays small on a busy process. */
const MAX_REMEMBERED = 10_000;

/**
 * The account behind a token, as the database has it now. A token says who someone was when it
 * was issued (for 12 hours); the role and the account's existence are read from `identity.users`,
 * so a demoted or deleted account loses its rights without waiting for its tokens to expire.
 *
 * Each process remembers what it read for `cacheMs` (2 s by default): at most one indexed primary
 * key read per account and process in that time, and a change takes effect on every API process
 * within it. A token version column would be checked the same way (one read per request) and
 * adds a migration and a write on every role change; reading the role itself also makes a
 * promotion take effect at once.
 */
export class AccountCheck {
  private readonly remembered = new LRUCache<string, { at: number; account: AuthUser | undefined }>({ max: MAX_REMEMBERED });

  constructor(
    private readonly db: Database,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The account now, with the role it has now; 401 when it no longer exists. While Postgres does
   * not answer, the last read (however old) or else the token's word stands: what still works in
   * an outage (a reservation answered from its saga, docs/faults.md) keeps working, and nothing
   * that needs the database can be done meanwhile anyway.
   */
  async current(claimed: AuthUser): Promise<AuthUser> {
    const seen = this.remembered.get(claimed.id);
    let account: AuthUser | undefined;
    if (seen && this.now() - seen.at < this.cacheMs) account = seen.account;
    else {
      try {
        account = (await this.lookUp([claimed.id])).get(claimed.id);
      } catch (error) {
        if (!isPostgresUnavailable(error)) throw error;
        account = seen ? seen.account : claimed;
      }
    }
    if (!account) throw new Unauthorized('This account no longer exists');
    return account;
  }

  /** Reads the accounts afresh in one query (and remembers them); missing ones are absent from the map. */
  async lookUp(ids: readonly string[]): Promise<Map<string, AuthUser>> {
    const found = new Map<string, AuthUser>();
    if (ids.length === 0) return found;
    const rows = await this.db.select({ id: users.id, email: users.email, name: users.name, role: users.role }).from(users).where(inArray(users.id, [...ids]));
    for (const row of rows) found.set(row.id, row);
    const at = this.now();
    for (const id of ids) this.remember(id, at, found.get(id));
    return found;
  }

  private remember(id: string, at: number, account: AuthUser | undefined): void {
    this.remembered.set(id, { at, account });
  }
}
