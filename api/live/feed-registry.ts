import type { Logger } from '../../lib/logger.js';
import { Connection } from './connection.js';
import { EventFeed } from './event-feed.js';
import type { SnapshotLoader } from './snapshot-loader.js';

/**
 * The event feeds of this process: one per event that at least one socket here watches, created on
 * the first subscribe and retired with the last unsubscribe.
 */
export class FeedRegistry {
  private readonly feeds = new Map<string, EventFeed>();
  /** Resyncs of feeds already retired, so the total in the stats never goes down. */
  private retiredFeedResyncs = 0;

  constructor(
    private readonly load: SnapshotLoader,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.feeds.size;
  }

  get(eventId: string): EventFeed | undefined {
    return this.feeds.get(eventId);
  }

  /** Events whose mirror is up and relaying (not the ones still reading their snapshot). */
  liveEventIds(): string[] {
    return [...this.feeds.keys()].filter((eventId) => this.feeds.get(eventId)?.isLive);
  }

  join(connection: Connection, eventId: string): void {
    connection.subscriptions.add(eventId);
    this.feedFor(eventId).subscribe(connection);
  }

  leave(connection: Connection, eventId: string): void {
    connection.subscriptions.delete(eventId);
    const feed = this.feeds.get(eventId);
    if (!feed) return;
    feed.unsubscribe(connection);
    if (feed.isEmpty) {
      feed.finish();
      this.retiredFeedResyncs += feed.resyncs;
      this.feeds.delete(eventId);
    }
  }

  resyncAll(): void {
    for (const feed of this.feeds.values()) feed.resync();
  }

  resyncs(): number {
    let resyncs = this.retiredFeedResyncs;
    for (const feed of this.feeds.values()) resyncs += feed.resyncs;
    return resyncs;
  }

  finishAll(): void {
    for (const feed of this.feeds.values()) feed.finish();
    this.feeds.clear();
  }

  private feedFor(eventId: string): EventFeed {
    const existing = this.feeds.get(eventId);
    if (existing) return existing;
    const feed = new EventFeed(eventId, {
      load: this.load,
      logger: this.logger,
      notFound: (subscribers) => {
        if (this.feeds.get(eventId) === feed) this.feeds.delete(eventId);
        for (const subscriber of subscribers) {
          if (!(subscriber instanceof Connection)) continue;
          subscriber.subscriptions.delete(eventId);
          subscriber.reply({ type: 'error', error: 'event_not_found', message: `No event with id ${eventId}`, eventId });
        }
      },
    });
    this.feeds.set(eventId, feed);
    return feed;
  }
}
