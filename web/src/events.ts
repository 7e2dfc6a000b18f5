import type { Event, EventList } from '../../api/contract/index.js';
import { api } from './api-client.js';
import { updateCheckout } from './checkout.js';
import { $ } from './dom.js';
import { formatDate, formatMoney } from './format.js';
import type { LiveFeed } from './live-feed.js';
import { showSubscribe } from './notifications.js';
import { buildSeatMap, loadMine, showAvailability } from './seat-map.js';
import { state } from './state.js';
import { loadWaitlist } from './waitlist.js';
import { enterWaitingRoom, leaveWaitingRoom, queued } from './waiting-room.js';

/** The list of what is on (cancelled events left out); a click opens one. */
export async function showEventList(live: LiveFeed): Promise<void> {
  live.leave();
  leaveWaitingRoom();
  state.event = undefined;
  state.seats.clear();
  $('event').hidden = true;
  $('events').hidden = false;
  document.title = 'Boxoffice — pick your seats';
  const answer = await api<EventList>('GET', '/api/events');
  const list = $('event-list');
  list.replaceChildren();
  const events = answer.ok ? answer.body.events.filter((event) => event.status !== 'cancelled') : [];
  $('events-empty').hidden = events.length > 0;
  for (const event of events) list.append(eventItem(event));
}

function eventItem(event: Event): HTMLLIElement {
  const item = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.eventId = event.id;
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = event.name;
  const details = document.createElement('span');
  details.className = 'details';
  const queue = event.queue ? ` · on sale ${formatDate(event.queue.opensAt)} through a waiting room` : '';
  details.textContent = `${event.venue} · ${formatDate(event.startsAt)} · ${event.availability.available} of ${event.availability.total} left${queue}`;
  button.append(name, details);
  button.addEventListener('click', () => (location.hash = `event=${event.id}`));
  item.append(button);
  return item;
}

/** One event: its seat map (or general-admission counts), the user's seats, then the live feed. */
export async function openEvent(eventId: string, live: LiveFeed): Promise<void> {
  const answer = await api<Event>('GET', `/api/events/${encodeURIComponent(eventId)}`);
  if (!answer.ok) {
    location.hash = '';
    return;
  }
  const event = answer.body;
  live.leave(event.id);
  leaveWaitingRoom();
  state.event = event;
  state.selected.clear();
  state.mine.clear();
  state.offer = undefined;
  $('ba-offer').hidden = true;
  $('events').hidden = true;
  $('event').hidden = false;
  $('result').hidden = true;
  document.title = `${event.name} — Boxoffice`;
  $('event-title').textContent = event.name;
  $('event-meta').textContent = `${event.venue} · ${formatDate(event.startsAt)} · ${formatMoney(event.priceCents, event.currency)} per ticket`;
  const reserved = event.seating.type === 'reserved';
  $('reserved').hidden = !reserved;
  $('general').hidden = reserved;
  if (event.seating.type === 'reserved') buildSeatMap(event.seating);
  else showAvailability({ capacity: event.seating.capacity, available: event.availability.available });
  showSubscribe();
  updateCheckout();
  await loadWaitlist();
  // A queued on-sale shows the waiting room; the seat map (and its feed) only to admitted buyers.
  if (queued(event)) return enterWaitingRoom(event, live);
  await loadMine();
  live.watch(event.id);
  updateCheckout();
}
