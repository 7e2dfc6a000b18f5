import type { Event, QueuePlace } from '../../api/contract/index.js';
import type { ADMISSION_TOKEN_HEADER } from '../../api/contract/queue.js';
import type { QueueMessage } from '../../api/live/protocol.js';
import { api } from './api-client.js';
import { updateCheckout } from './checkout.js';
import { $, element, setLive } from './dom.js';
import { formatDate } from './format.js';
import type { LiveFeed } from './live-feed.js';
import { formatCountdown, formatWait, queueStanding, type QueueStanding } from './queue-view.js';
import { loadMine } from './seat-map.js';
import { state } from './state.js';

// Typed by the contract's own constant: it cannot drift from api/contract/queue.ts.
const ADMISSION_HEADER: typeof ADMISSION_TOKEN_HEADER = 'Admission-Token';

/** The broadcast said our turn came (or the draw happened): wait this long for our own place message before asking once. */
const PLACE_PUSH_GRACE_MS = 1500;
/** Spread of those fallback reads, so that thousands of pages do not ask in the same millisecond. */
const FALLBACK_JITTER_MS = 1000;
const TICK_MS = 1000;
/** Nothing heard for this long: read the place once (a socket can go quiet without closing). */
const QUIET_MS = 20_000;
/** The countdown turns orange in its last minute. */
const URGENT_MS = 60_000;

interface Room {
  event: Event;
  live: LiveFeed;
  place: QueuePlace | undefined;
  broadcast: QueueMessage | undefined;
  /** A fallback GET of our place, scheduled when the broadcast says it must have changed. */
  fallback: ReturnType<typeof setTimeout> | undefined;
  ticker: ReturnType<typeof setInterval> | undefined;
  /** The seat map is shown (and its feed followed) while the buyer holds a live admission. */
  seatsOpen: boolean;
  /** When the socket last told us anything about the queue. */
  heardAt: number;
}

let room: Room | undefined;

/** Whether the event on screen is behind a waiting room (its seat map only for admitted buyers). */
export const queued = (event: Event | undefined): boolean => Boolean(event?.queue);

/**
 * Opens the waiting room of a queued event: the broadcast over the socket, and the user's place
 * once (GET …/queue/me: the initial state; afterwards the socket keeps it current).
 */
export async function enterWaitingRoom(event: Event, live: LiveFeed): Promise<void> {
  leaveWaitingRoom();
  room = { event, live, place: undefined, broadcast: undefined, fallback: undefined, ticker: undefined, seatsOpen: false, heardAt: Date.now() };
  $('queue').hidden = false;
  setSeatsOpen(false);
  live.watchQueue(event.id);
  room.ticker = setInterval(tick, TICK_MS);
  render();
  await readPlace();
}

export function leaveWaitingRoom(): void {
  if (!room) return;
  clearTimeout(room.fallback);
  clearInterval(room.ticker);
  room.live.leaveQueue();
  room = undefined;
  $('queue').hidden = true;
  $('admission').hidden = true;
  for (const id of ['selection', 'card-field', 'book', 'checkout']) $(id).hidden = false;
}

/** After log in or out: the place belongs to the account. */
export async function refreshWaitingRoom(): Promise<void> {
  if (!room) return;
  room.place = undefined;
  render();
  await readPlace();
}

export async function joinQueue(): Promise<void> {
  if (!room || !state.token) return;
  const eventId = room.event.id;
  const button = element('queue-join', HTMLButtonElement);
  button.disabled = true;
  try {
    const answer = await api<QueuePlace>('POST', `/api/events/${encodeURIComponent(eventId)}/queue`);
    if (room?.event.id !== eventId) return;
    if (answer.ok) {
      room.place = answer.body;
      room.live.resubscribeQueue();
    } else showProblem(answer.body.message ?? 'Could not join the queue.');
  } finally {
    button.disabled = false;
    render();
  }
}

/** One broadcast of the event's queue: everyone works out their own position from it. */
export function receiveQueue(message: QueueMessage): void {
  if (!room || message.eventId !== room.event.id) return;
  room.broadcast = message;
  room.heardAt = Date.now();
  setLive('live', 'Live queue');
  const standing = queueStanding(room.place, message, Date.now());
  // The draw happened, or the line reached us: our place message should come; if it does not, ask once.
  if ((room.place?.status === 'pre_queue' && message.state === 'open') || standing.turnReached) scheduleFallback();
  render();
}

/** Our own place changed status (admitted with its token, booked, expired, sold out, closed). */
export function receivePlace(place: QueuePlace): void {
  if (!room || place.eventId !== room.event.id) return;
  clearTimeout(room.fallback);
  room.fallback = undefined;
  room.place = place;
  room.heardAt = Date.now();
  render();
}

/** Every second: the countdowns, and one read of the place after a long silence while still in line. */
function tick(): void {
  if (!room) return;
  const status = queueStanding(room.place, room.broadcast, Date.now()).status;
  // Before the opening silence is normal (nothing moves): only a silent line after it is suspicious.
  const opened = room.place !== undefined && Date.parse(room.place.opensAt) < Date.now();
  if (opened && (status === 'waiting' || status === 'pre_queue') && Date.now() - room.heardAt > QUIET_MS) {
    room.heardAt = Date.now();
    scheduleFallback();
  }
  render();
}

/** The socket came back: a broadcast or our own message may have been missed while it was down. */
export function queueResumed(): void {
  if (room) scheduleFallback();
}

/** The header a booking of the open event must carry while the user holds an admission. */
export function admissionHeaders(eventId: string): Record<string, string> {
  const token = room?.event.id === eventId ? room.place?.admissionToken : undefined;
  return token ? { [ADMISSION_HEADER]: token } : {};
}

/** A booking was refused for want of a (live) admission: re-read the place, which says why. */
export function admissionRefused(code: string | undefined): void {
  if (room && (code === 'admission_expired' || code === 'admission_required')) void readPlace();
}

function scheduleFallback(): void {
  if (!room || room.fallback) return;
  const current = room;
  current.fallback = setTimeout(() => {
    current.fallback = undefined;
    if (room === current) void readPlace();
  }, PLACE_PUSH_GRACE_MS + FALLBACK_JITTER_MS * Math.random());
}

async function readPlace(): Promise<void> {
  const current = room;
  if (!current || !state.token) return;
  const answer = await api<QueuePlace>('GET', `/api/events/${encodeURIComponent(current.event.id)}/queue/me`);
  if (room !== current) return;
  if (answer.ok) current.place = answer.body;
  else if (answer.status === 404) current.place = undefined;
  render();
}

function showProblem(message: string): void {
  $('queue-detail').textContent = message;
}

/** Shows or hides the seat map and the booking controls; follows the seat feed only while shown. */
function setSeatsOpen(open: boolean): void {
  if (!room) return;
  const reserved = room.event.seating.type === 'reserved';
  $('reserved').hidden = !open || !reserved;
  $('general').hidden = !open || reserved;
  for (const id of ['selection', 'card-field', 'book']) $(id).hidden = !open;
  // In line and logged in, the checkout form would be an empty box; logged out it holds the log-in.
  $('checkout').hidden = !open && Boolean(state.token);
  if (open === room.seatsOpen) return;
  room.seatsOpen = open;
  if (open) {
    room.live.watch(room.event.id);
    void loadMine();
  } else if (room.live.watching(room.event.id)) {
    room.live.leave();
  }
  updateCheckout();
}

const HEADLINES: Record<QueueStanding['status'], string> = {
  not_joined: 'This on-sale has a waiting room',
  pre_queue: 'You are in the waiting room',
  waiting: 'You are in the queue',
  admitted: 'It’s your turn!',
  booked: 'Booked — your admission is still open',
  expired: 'Your admission has expired',
  sold_out: 'Sold out',
  closed: 'The queue is closed',
};

function render(): void {
  if (!room) return;
  const now = Date.now();
  const queue = room.event.queue;
  const standing = queueStanding(room.place, room.broadcast, now);
  const section = $('queue');
  section.dataset.status = standing.status;
  $('queue-headline').textContent = standing.turnReached ? 'It’s your turn — getting your admission…' : HEADLINES[standing.status];
  $('queue-detail').textContent = detail(standing, now);

  const join = element('queue-join', HTMLButtonElement);
  const joinOpensAt = queue ? Date.parse(queue.joinOpensAt) : 0;
  join.hidden = standing.status !== 'not_joined' || !state.token || (room.broadcast?.state ?? 'pre_opening') === 'sold_out' || room.broadcast?.state === 'closed';
  if (!join.hidden) join.disabled = now < joinOpensAt;

  const waiting = standing.status === 'waiting';
  $('queue-figures').hidden = !waiting && standing.status !== 'pre_queue';
  $('queue-position').textContent = waiting && standing.position !== null ? String(standing.position) : 'drawn at opening';
  $('queue-wait').textContent = waiting ? formatWait(standing.estimatedWaitSeconds) : formatCountdown((standing.estimatedWaitSeconds ?? 0) * 1000);
  $('queue-wait-label').textContent = waiting ? 'Estimated wait' : 'Opens in';
  $('queue-total').textContent = standing.total === null ? '–' : String(standing.total);
  const progress = element('queue-progress', HTMLElement);
  progress.hidden = !waiting;
  const percent = Math.round((standing.progress ?? 0) * 100);
  progress.setAttribute('aria-valuenow', String(percent));
  $('queue-meter').style.width = `${percent}%`;

  const admissionEnds = room.place?.admissionExpiresAt ? Date.parse(room.place.admissionExpiresAt) : 0;
  const admitted = (standing.status === 'admitted' || standing.status === 'booked') && admissionEnds > now;
  const banner = $('admission');
  banner.hidden = !admitted;
  if (admitted) {
    $('admission-countdown').textContent = formatCountdown(admissionEnds - now);
    banner.dataset.urgent = String(admissionEnds - now <= URGENT_MS);
  }
  // While admitted the queue panel steps back: the seat map is what matters now.
  section.hidden = admitted;
  setSeatsOpen(admitted);
}

function detail(standing: QueueStanding, now: number): string {
  const queue = room?.event.queue;
  if (!queue) return '';
  const opens = formatDate(queue.opensAt);
  switch (standing.status) {
    case 'not_joined': {
      if (!state.token) return `Tickets go on sale at ${opens}. Log in below to join the queue.`;
      if (room?.broadcast?.state === 'sold_out') return 'Every seat has been sold.';
      const joinOpensAt = Date.parse(queue.joinOpensAt);
      if (now < joinOpensAt) return `The waiting room opens at ${formatDate(queue.joinOpensAt)} (in ${formatCountdown(joinOpensAt - now)}); tickets go on sale at ${opens}.`;
      return Date.parse(queue.opensAt) > now
        ? `Tickets go on sale at ${opens}. Everyone who joins before then gets a place drawn at random: there is no need to hurry.`
        : 'Tickets are on sale. Join now: you get the next place in line.';
    }
    case 'pre_queue':
      return Date.parse(queue.opensAt) > now
        ? `Your place is drawn at random when the sale opens (${opens}); everyone in the waiting room has the same chance. Keep this page open.`
        : 'The sale has opened: places are being drawn for everyone who joined before it. Keep this page open.';
    case 'waiting':
      return standing.position === 1 ? 'You are next.' : `${standing.position === null ? 'Some' : standing.position - 1} ${standing.position === 2 ? 'buyer is' : 'buyers are'} ahead of you. Keep this page open: it moves by itself.`;
    case 'admitted':
      return '';
    case 'booked':
      return 'Your booking went through. You may book again until your admission ends.';
    case 'expired':
      return 'You did not book in time, so the turn passed to the next in line.';
    case 'sold_out':
      return 'Every seat was sold while you waited. We are sorry.';
    case 'closed':
      return 'The sale through the waiting room has ended.';
  }
}
