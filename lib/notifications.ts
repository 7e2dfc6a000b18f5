/**
 * Notifications and event reminders (docs/notifications.md): the kinds a user is told about, the
 * reminder workflow's id and input, and the dedupe keys that make every notification land once no
 * matter how often an activity or the projection is retried. Pure: workflow code imports it.
 */
export const notificationTypes = ['reminder', 'event_changed', 'event_cancelled', 'offer', 'reservation'] as const;
export type NotificationType = (typeof notificationTypes)[number];

/** The reservation statuses a customer is told about (a hold is answered to the request itself). */
export const notifiedReservationStatuses = ['confirmed', 'failed', 'cancelled', 'expired'] as const;
export type NotifiedReservationStatus = (typeof notifiedReservationStatuses)[number];
export const isNotifiedStatus = (status: string): status is NotifiedReservationStatus => (notifiedReservationStatuses as readonly string[]).includes(status);

export const eventRemindersWorkflowId = (eventId: string): string => `event-${eventId}-reminders`;

/** What a round of the reminder workflow tells every subscriber. */
export type SubscriberNotice =
  | { kind: 'reminder'; offsetSeconds: number; startsAt: string }
  | { kind: 'event_changed'; startsAt: string; previousStartsAt: string; changedAt: string }
  | { kind: 'event_cancelled' };

/**
 * One notice per subscriber, ever: a reminder per offset per start time (a moved event reminds
 * again), a change per catalogue update, a cancellation once.
 */
export function noticeKey(eventId: string, userId: string, notice: SubscriberNotice): string {
  switch (notice.kind) {
    case 'reminder':
      return `reminder:${eventId}:${userId}:${notice.offsetSeconds}:${Date.parse(notice.startsAt)}`;
    case 'event_changed':
      return `event_changed:${eventId}:${userId}:${Date.parse(notice.changedAt)}`;
    case 'event_cancelled':
      return `event_cancelled:${eventId}:${userId}`;
  }
}

/** A reservation reaches each status at most once, so its status names the change. */
export const reservationNoticeKey = (reservationId: string, status: NotifiedReservationStatus): string => `reservation:${reservationId}:${status}`;

/** The event as the reminder workflow plans from it (read from the catalogue by an activity). */
export interface EventSchedule {
  status: 'on_sale' | 'cancelled' | 'missing';
  startsAt: string;
  /** The catalogue row's updated_at: names one change of the event. */
  updatedAt: string;
  /** The worker's REMINDER_OFFSETS_SECONDS, largest first. */
  offsetsSeconds: number[];
}

export interface EventRemindersInput {
  eventId: string;
  /** The start time subscribers last heard of; a schedule read that differs is a move to tell them about. */
  startsAt: string;
  /** Offsets already reminded of for `startsAt`, carried over continue-as-new. */
  sentOffsets?: number[];
  /** A round cut short by continue-as-new: the notice and the last subscriber done. */
  round?: { notice: SubscriberNotice; afterUserId?: string };
  /** A change signal came in before continue-as-new and was not handled yet. */
  changePending?: boolean;
}

export interface NoticeBatchResult {
  /** Subscribers looked at in this batch (inserted or already told). */
  seen: number;
  /** New notifications written (a retried batch writes none twice). */
  written: number;
  /** Fewer subscribers than a batch were left: the round is over. */
  done: boolean;
  /** The last subscriber of the batch: where the next batch starts; undefined when none were left. */
  lastUserId?: string;
}
