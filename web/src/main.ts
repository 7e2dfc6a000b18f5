// The seat picker: event list, live seat map over the WebSocket feed (docs/live-seat-map.md), log in,
// book with a test card. Bundled by scripts/build-web.ts into dist/web/app.js, served by api/web.ts.
import { MAX_SEATS_PER_RESERVATION } from '../../lib/seating.js';
import { api } from './api-client.js';
import { bookOffer, findBestAvailable, offerEnded, releaseOffer, setOffer } from './best-available.js';
import { book } from './booking.js';
import { updateCheckout } from './checkout.js';
import { $, element, setLive } from './dom.js';
import { openEvent, showEventList } from './events.js';
import { LiveFeed } from './live-feed.js';
import { loadNotifications, receiveNotification, showSubscribe, toggleNotifications, toggleSubscription } from './notifications.js';
import { applyChange, applySnapshot, forgetMine, loadMine } from './seat-map.js';
import { DEMO_CUSTOMER, logIn, logOut, onSessionChange, showAccount, typedCredentials } from './session.js';
import { state, type ClientConfig } from './state.js';
import { declineOffer, joinWaitlist, leaveWaitlist, loadWaitlist, payOffer, receiveOffer, waitlistReservationChanged } from './waitlist.js';
import { joinQueue, queueResumed, receivePlace, receiveQueue, refreshWaitingRoom } from './waiting-room.js';

const live = new LiveFeed({
  token: () => state.token,
  status: setLive,
  snapshot: applySnapshot,
  change: applyChange,
  reservation(message) {
    // Our own seats change colour when our reservation ends (expired, cancelled elsewhere...).
    if (state.event?.id === message.eventId) void loadMine();
    if (message.status !== 'held' && message.status !== 'pending') offerEnded(message.id);
    waitlistReservationChanged(message.id, message.eventId);
  },
  notification: (message) => receiveNotification(message.notification),
  offer: receiveOffer,
  queue: receiveQueue,
  queuePlace: ({ type: _type, ...place }) => receivePlace(place),
  queueResumed,
  unauthorized: () => void logOut('Your session has expired: log in again.'),
});

onSessionChange(async () => {
  live.reconnect();
  showSubscribe();
  await loadNotifications();
  if (state.token) await loadMine();
  else forgetMine();
  setOffer(undefined);
  await loadWaitlist();
  updateCheckout();
  await refreshWaitingRoom();
});

function route(): void {
  const eventId = new URLSearchParams(location.hash.slice(1)).get('event');
  if (eventId) void openEvent(eventId, live);
  else void showEventList(live);
}

const quantity = element('ga-quantity', HTMLInputElement);
quantity.max = String(MAX_SEATS_PER_RESERVATION);
$('seat-map').setAttribute('aria-label', `Seat map: choose up to ${MAX_SEATS_PER_RESERVATION} seats`);

element('checkout', HTMLFormElement).addEventListener('submit', (submitted) => void book(submitted));
quantity.addEventListener('input', updateCheckout);
const bestQuantity = element('ba-quantity', HTMLInputElement);
bestQuantity.max = String(MAX_SEATS_PER_RESERVATION);
bestQuantity.addEventListener('input', updateCheckout);
$('ba-find').addEventListener('click', () => void findBestAvailable());
$('ba-confirm').addEventListener('click', () => void bookOffer());
$('ba-release').addEventListener('click', () => void releaseOffer());
$('wl-join').addEventListener('click', () => void joinWaitlist());
$('wl-leave').addEventListener('click', () => void leaveWaitlist());
$('wl-pay').addEventListener('click', () => void payOffer());
$('wl-decline').addEventListener('click', () => void declineOffer());
element('wl-quantity', HTMLInputElement).max = String(MAX_SEATS_PER_RESERVATION);
$('queue-join').addEventListener('click', () => void joinQueue());
$('back').addEventListener('click', () => (location.hash = ''));
$('logout').addEventListener('click', () => void logOut());
$('notifications-toggle').addEventListener('click', toggleNotifications);
$('subscribe').addEventListener('click', () => void toggleSubscription());
$('demo').addEventListener('click', () => void logIn(DEMO_CUSTOMER));
$('login-submit').addEventListener('click', () => void logIn(typedCredentials()));
$('password').addEventListener('keydown', (key) => {
  if (key.key === 'Enter') {
    key.preventDefault();
    void logIn(typedCredentials());
  }
});
window.addEventListener('hashchange', route);

const config = await api<ClientConfig>('GET', '/api/config');
if (config.ok) state.config = config.body;
showAccount();
live.connect();
void loadNotifications();
route();
