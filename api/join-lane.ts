import type { Middleware } from 'koa';
import pLimit from 'p-limit';
import type { AppState } from './route.js';

/** `POST /api/events/:id/queue`: the request an opening brings by the thousand within seconds. */
const queueJoin = /^\/api\/events\/[^/]+\/queue\/?$/;

/**
 * Queue joins take turns in a lane of their own: QUEUE_JOIN_CONCURRENCY at a time, in arrival
 * order, before their token is checked or their body read (docs/waiting-room.md, "The join
 * storm"). Without it the thousands of joins just before an opening fill the event loop and the
 * database pool, and the buyers admitted at the opening wait behind them, for their admission
 * message and for their booking, seconds each. Joins cost the same CPU either way; the lane only
 * decides that the few requests of admitted buyers, and the broadcasts, go first.
 */
export function joinLane(concurrency: number): Middleware<AppState> {
  const lane = pLimit(concurrency);
  return (ctx, next) => {
    if (ctx.method !== 'POST' || !queueJoin.test(ctx.path)) return next();
    // The join counts from here: one sent before the opening is in the draw however long it waited.
    ctx.state.arrivedAt = new Date();
    return lane(next);
  };
}
