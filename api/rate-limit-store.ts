import { RateLimiterDrizzle } from 'rate-limiter-flexible';
import type postgres from 'postgres';

/** A counter row as the library reads it. */
interface CounterRow {
  key: string;
  points: number;
  expire: Date | null;
}

/** The row as sent: drizzle's driver leaves timestamps as text on this client, so the instant comes as epoch ms. */
type SentRow = Omit<CounterRow, 'expire'> & { expireMs: number | null };

const counterRow = ({ expireMs, ...row }: SentRow): CounterRow => ({ ...row, expire: expireMs === null ? null : new Date(expireMs) });

type DrizzleStoreOptions = ConstructorParameters<typeof RateLimiterDrizzle>[0];

/**
 * rate-limiter-flexible's Drizzle store (table `ratelimit.counters`, its clean-up, its block and
 * delete) with the two statements every request pays, counting an attempt and reading a counter,
 * sent as prepared postgres.js statements. The library builds them with drizzle's query builder and
 * sends them unprepared on every call: under hot contention that was a third of the API's and
 * Postgres's CPU for a refused booking (docs/performance.md, "What a refusal costs"). Same rows,
 * same arithmetic as the library's `_upsert` and `_get`, which these replace: the library's custom
 * store contract (its stores are subclasses overriding these methods).
 */
export class PreparedCounterStore extends RateLimiterDrizzle {
  private readonly sql: postgres.Sql;

  constructor(options: DrizzleStoreOptions & { storeClient: { $client: postgres.Sql } }) {
    super(options);
    this.sql = options.storeClient.$client;
  }

  /** Adds `points` to the key's counter, or starts it afresh when it has expired (or when forced: a block). */
  async _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<CounterRow | undefined> {
    // Instants go as ISO text: that driver also left this client without a Date serialiser for timestamps.
    const now = Date.now();
    const expire = msDuration > 0 ? new Date(now + msDuration).toISOString() : null;
    const at = new Date(now).toISOString();
    const [row] = await this.sql<SentRow[]>`
      INSERT INTO ratelimit.counters AS c (key, points, expire) VALUES (${key}, ${points}, ${expire}::timestamptz)
      ON CONFLICT (key) DO UPDATE SET
        points = CASE WHEN ${forceExpire}::boolean OR c.expire <= ${at}::timestamptz THEN excluded.points ELSE c.points + excluded.points END,
        expire = CASE WHEN ${forceExpire}::boolean OR c.expire <= ${at}::timestamptz THEN excluded.expire ELSE c.expire END
      RETURNING c.key, c.points, (extract(epoch FROM c.expire) * 1000)::float8 AS "expireMs"`;
    return row && counterRow(row);
  }

  /** The key's counter while it lasts, else null. */
  async _get(key: string): Promise<CounterRow | null> {
    const [row] = await this.sql<SentRow[]>`
      SELECT key, points, (extract(epoch FROM expire) * 1000)::float8 AS "expireMs" FROM ratelimit.counters WHERE key = ${key} AND (expire > ${new Date().toISOString()}::timestamptz OR expire IS NULL) LIMIT 1`;
    return row ? counterRow(row) : null;
  }
}
