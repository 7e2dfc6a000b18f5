import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { joinLane } from '../../api/join-lane.js';
import type { AppState } from '../../api/route.js';

/** A Koa app with only the lane in front of a handler that takes `holdMs`: who runs when, and with what stamp. */
async function laneApp(concurrency: number, holdMs: number) {
  const app = new Koa<AppState>();
  const log: { path: string; event: 'start' | 'end'; at: number; arrivedAt?: number }[] = [];
  let running = 0;
  let mostAtOnce = 0;
  app.use(joinLane(concurrency));
  app.use(async (ctx) => {
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    log.push({ path: ctx.path, event: 'start', at: Date.now(), ...(ctx.state.arrivedAt ? { arrivedAt: ctx.state.arrivedAt.getTime() } : {}) });
    await delay(holdMs);
    log.push({ path: ctx.path, event: 'end', at: Date.now() });
    running--;
    ctx.body = { ok: true };
  });
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, log, mostAtOnce: () => mostAtOnce, close: () => new Promise((resolve) => server.close(resolve)) };
}

let close: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('the queue joins’ lane', () => {
  it('runs at most its concurrency of joins at once, in arrival order, each stamped when it arrived rather than when its turn came', async () => {
    const lane = await laneApp(2, 100);
    close = lane.close;
    const sent = Date.now();
    const answers = await Promise.all(Array.from({ length: 6 }, () => fetch(`${lane.base}/api/events/e1/queue`, { method: 'POST' })));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(lane.mostAtOnce()).toBe(2);
    const starts = lane.log.filter((entry) => entry.event === 'start');
    // Six joins, two at a time, 100 ms each: the last pair starts ~200 ms after the first ...
    expect(Math.max(...starts.map((entry) => entry.at)) - Math.min(...starts.map((entry) => entry.at))).toBeGreaterThanOrEqual(180);
    // ... yet every one was stamped on arrival, before it waited.
    for (const entry of starts) expect(entry.arrivedAt).toBeGreaterThanOrEqual(sent - 5);
    for (const entry of starts) expect(entry.arrivedAt).toBeLessThan(sent + 150);
  });

  it('lets every other request past the joins waiting in it', async () => {
    const lane = await laneApp(1, 400);
    close = lane.close;
    const joins = Array.from({ length: 3 }, () => fetch(`${lane.base}/api/events/e1/queue`, { method: 'POST' }));
    await delay(50);
    const started = Date.now();
    const [booking, place] = await Promise.all([fetch(`${lane.base}/api/reservations`, { method: 'POST' }), fetch(`${lane.base}/api/events/e1/queue/me`)]);
    // Their own 400 ms, not behind the 1.2 s of joins ahead of them.
    expect(booking.status).toBe(200);
    expect(place.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_000);
    await Promise.all(joins);
    const stamped = lane.log.filter((entry) => entry.event === 'start' && entry.arrivedAt !== undefined).map((entry) => entry.path);
    expect(stamped).toEqual(['/api/events/e1/queue', '/api/events/e1/queue', '/api/events/e1/queue']);
  });
});
