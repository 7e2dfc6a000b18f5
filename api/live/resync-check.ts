import type postgres from 'postgres';
import type { Logger } from '../../lib/logger.js';
import type { FeedRegistry } from './feed-registry.js';

/**
 * A lost notification is seen as a version gap only when a later one arrives; on a quiet event
 * none may. So every interval the live feeds compare their versions with the read model's (one
 * query for all of them). Returns the stop function.
 */
export function startResyncCheck(sql: postgres.Sql, feeds: FeedRegistry, intervalMs: number, logger: Logger): () => void {
  let checking = false;
  const consistencyCheck = setInterval(() => {
    const eventIds = feeds.liveEventIds();
    if (checking || eventIds.length === 0) return;
    checking = true;
    sql<{ event_id: string; version: string }[]>`SELECT event_id, version::text FROM readmodel.event_availability WHERE event_id = ANY(${eventIds}::uuid[])`
      .then((rows) => {
        for (const row of rows) feeds.get(row.event_id)?.checkVersion(Number(row.version));
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'live feed: consistency check failed'))
      .finally(() => (checking = false));
  }, intervalMs);
  consistencyCheck.unref();
  return () => clearInterval(consistencyCheck);
}
