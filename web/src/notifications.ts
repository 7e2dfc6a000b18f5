import type { NotificationPage, NotificationView, Subscription } from '../../api/contract/index.js';
import { api } from './api-client.js';
import { $, element } from './dom.js';
import { formatDate } from './format.js';
import { state } from './state.js';

const PAGE = 20;
/** The list on screen, newest first, by id (a pushed one may also come with a reload). */
const shown = new Map<string, NotificationView>();

function render(): void {
  const list = $('notification-list');
  const items = [...shown.values()].sort((a, b) => Number(b.id) - Number(a.id));
  list.replaceChildren(
    ...items.map((notification) => {
      const item = document.createElement('li');
      item.dataset.type = notification.type;
      item.dataset.id = notification.id;
      const text = document.createElement('span');
      text.className = 'message';
      text.textContent = notification.message;
      const at = document.createElement('time');
      at.dateTime = notification.createdAt;
      at.textContent = formatDate(notification.createdAt);
      item.append(text, at);
      return item;
    }),
  );
  $('notification-count').textContent = String(items.length);
  $('notifications-empty').hidden = items.length > 0;
}

/** After log in or out: the user's latest notifications, or none. */
export async function loadNotifications(): Promise<void> {
  shown.clear();
  element('notifications-toggle', HTMLButtonElement).hidden = !state.user;
  if (!state.user) {
    $('notifications').hidden = true;
    render();
    return;
  }
  const answer = await api<NotificationPage>('GET', `/api/me/notifications?limit=${PAGE}`);
  if (answer.ok) for (const notification of answer.body.notifications) shown.set(notification.id, notification);
  render();
}

/** One pushed over the WebSocket. */
export function receiveNotification(notification: NotificationView): void {
  shown.set(notification.id, notification);
  render();
}

export function toggleNotifications(): void {
  const panel = $('notifications');
  panel.hidden = !panel.hidden;
  element('notifications-toggle', HTMLButtonElement).setAttribute('aria-expanded', String(!panel.hidden));
}

/** The event page's "Remind me" button: customers subscribe to (or leave) the event's reminders. */
export function showSubscribe(subscribed = false): void {
  const button = element('subscribe', HTMLButtonElement);
  button.hidden = !state.event || state.user?.role !== 'customer' || state.event.status === 'cancelled';
  button.dataset.subscribed = String(subscribed);
  button.textContent = subscribed ? 'Reminders on — stop' : 'Remind me';
}

export async function toggleSubscription(): Promise<void> {
  const event = state.event;
  if (!event) return;
  const subscribed = element('subscribe', HTMLButtonElement).dataset.subscribed === 'true';
  const answer = await api<Subscription>(subscribed ? 'DELETE' : 'POST', `/api/events/${encodeURIComponent(event.id)}/subscription`);
  if (answer.ok) showSubscribe(answer.body.subscribed);
}
