import { setTimeout as delay } from 'node:timers/promises';
import type postgresType from 'postgres';

/**
 * A long-running process as the projection is one: a LISTEN, transactions in flight all the time.
 * `tsx test/support/restart-probe.ts <patched|unpatched> <url>` prints LOADED once busy, then
 * expects its test to restart Postgres; once it has seen the outage, then 20 transactions succeed
 * and a NOTIFY arrive again, it prints RECOVERED and exits 0 (2 if that takes over 15 s). With
 * the unpatched postgres.js, the restart kills it with the TypeError from `nextWrite`.
 */
const [which, url] = process.argv.slice(2);
if (!url || (which !== 'patched' && which !== 'unpatched')) throw new Error('usage: restart-probe.ts <patched|unpatched> <url>');
const postgres: typeof postgresType = which === 'patched' ? (await import('../../db/postgres-driver.js')).default : (await import('postgres')).default;

const sql = postgres(url, { max: 2, onnotice: () => {}, connect_timeout: 2, backoff: () => 0.05 });
let notified = 0;
await sql.listen('probe', () => notified++);
let failures = 0;
let successesAfterFailure = 0;
let stopped = false;
const loops = [0, 1, 2].map(async () => {
  while (!stopped) {
    try {
      await sql.begin(async (tx) => {
        await tx`SELECT pg_sleep(0.02)`;
        await tx`SELECT 1`;
      });
      if (failures > 0) successesAfterFailure++;
    } catch {
      failures++;
      await delay(20);
    }
  }
});
await delay(200);
console.log('LOADED');
const deadline = Date.now() + 15_000;
while (Date.now() < deadline && (failures === 0 || successesAfterFailure < 20)) await delay(20);
const before = notified;
while (Date.now() < deadline && notified === before) {
  await sql`SELECT pg_notify('probe', 'after restart')`.catch(() => {});
  await delay(50);
}
stopped = true;
await Promise.all(loops);
await sql.end({ timeout: 1 });
const recovered = Date.now() < deadline;
console.log(recovered ? `RECOVERED failures=${failures}` : `STUCK failures=${failures} successesAfterFailure=${successesAfterFailure}`);
process.exit(recovered ? 0 : 2);
