// The seat picker: event list, live seat map over the WebSocket feed (docs/live-seat-map.md), log in,
// book with a test card. Plain ES module, served as is.

const MAX_SEATS = 10;
const DEMO = { email: 'customer@boxoffice.test', password: 'customer-password' };
const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem('boxoffice.token'),
  user: JSON.parse(sessionStorage.getItem('boxoffice.user') ?? 'null'),
  config: { temporalUiUrl: '', namespace: 'default' },
  event: undefined,
  /** Reserved seating: seat id → { status, button }. */
  seats: new Map(),
  version: undefined,
  /** Waiting for a fresh snapshot: changes are ignored until it comes. */
  resyncing: false,
  selected: new Set(),
  /** Seats of this user's live reservations for the open event. */
  mine: new Set(),
  booking: false,
};

// ---------- HTTP ----------

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => ({}));
  return { status: response.status, ok: response.ok, body: json };
}

// ---------- Live feed ----------

const live = {
  socket: undefined,
  retryMs: 500,
  timer: undefined,

  connect() {
    clearTimeout(this.timer);
    const protocol = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = state.token ? `?token=${encodeURIComponent(state.token)}` : '';
    const socket = new WebSocket(`${protocol}://${location.host}/ws${query}`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = 500;
      if (state.event) this.subscribe(state.event.id);
    });
    socket.addEventListener('message', (message) => onLiveMessage(JSON.parse(message.data)));
    socket.addEventListener('close', (closed) => {
      if (this.socket !== socket) return; // replaced on purpose (log in / log out)
      if (closed.code === 4401) logOut('Your session has expired: log in again.');
      setLive('offline', 'Offline — reconnecting…');
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    });
  },

  /** Reconnects with the current token, so reservation updates follow the logged-in user. */
  reconnect() {
    const old = this.socket;
    this.socket = undefined;
    old?.close();
    this.connect();
  },

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  },

  subscribe(eventId) {
    state.resyncing = true;
    setLive('resyncing', 'Loading the seat map…');
    this.send({ type: 'subscribe', eventId });
  },
};

function setLive(kind, text) {
  const element = $('live');
  element.dataset.state = kind;
  element.textContent = text;
}

function onLiveMessage(message) {
  if (message.type === 'reservation') return onReservationUpdate(message);
  if (message.type === 'error') {
    if (message.error === 'event_not_found' && state.event?.id === message.eventId) setLive('offline', 'This event no longer exists.');
    return;
  }
  if (!state.event || message.eventId !== state.event.id) return;
  if (message.type === 'snapshot') {
    state.resyncing = false;
    state.version = message.version;
    if (message.seats) {
      for (const seat of message.seats) setSeatStatus(seat.id, seat.status);
    } else {
      showAvailability(message);
    }
    setLive('live', 'Live');
    return;
  }
  if (message.type !== 'seats' && message.type !== 'availability') return;
  if (state.resyncing || message.version <= state.version) return;
  if (message.version !== state.version + 1) {
    // A change went missing: ask for a fresh snapshot rather than show a wrong map.
    live.subscribe(state.event.id);
    return;
  }
  state.version = message.version;
  if (message.type === 'seats') for (const change of message.changes) setSeatStatus(change.id, change.status);
  else showAvailability(message);
}

function onReservationUpdate(message) {
  if (!state.event || message.eventId !== state.event.id) return;
  // Our own seats change colour when our reservation ends (expired, cancelled elsewhere...).
  void loadMine();
}

// ---------- Event list ----------

async function showEventList() {
  state.event = undefined;
  state.seats.clear();
  $('event').hidden = true;
  $('events').hidden = false;
  document.title = 'Boxoffice — pick your seats';
  const { body } = await api('GET', '/api/events');
  const list = $('event-list');
  list.replaceChildren();
  const events = (body.events ?? []).filter((event) => event.status !== 'cancelled');
  $('events-empty').hidden = events.length > 0;
  for (const event of events) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.eventId = event.id;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = event.name;
    const details = document.createElement('span');
    details.className = 'details';
    details.textContent = `${event.venue} · ${formatDate(event.startsAt)} · ${event.availability.available} of ${event.availability.total} left`;
    button.append(name, details);
    button.addEventListener('click', () => (location.hash = `event=${event.id}`));
    item.append(button);
    list.append(item);
  }
}

// ---------- One event ----------

async function openEvent(eventId) {
  const { ok, body: event } = await api('GET', `/api/events/${encodeURIComponent(eventId)}`);
  if (!ok) {
    location.hash = '';
    return;
  }
  if (state.event && state.event.id !== event.id) live.send({ type: 'unsubscribe', eventId: state.event.id });
  state.event = event;
  state.version = undefined;
  state.selected.clear();
  state.mine.clear();
  $('events').hidden = true;
  $('event').hidden = false;
  $('result').hidden = true;
  document.title = `${event.name} — Boxoffice`;
  $('event-title').textContent = event.name;
  $('event-meta').textContent = `${event.venue} · ${formatDate(event.startsAt)} · ${formatMoney(event.priceCents, event.currency)} per ticket`;
  const reserved = event.seating.type === 'reserved';
  $('reserved').hidden = !reserved;
  $('general').hidden = reserved;
  if (reserved) buildSeatMap(event.seating);
  else showAvailability({ capacity: event.seating.capacity, ...event.availability });
  await loadMine();
  live.subscribe(event.id);
  updateCheckout();
}

function buildSeatMap({ rows, seatsPerRow }) {
  const map = $('seat-map');
  map.replaceChildren();
  state.seats.clear();
  for (let row = 0; row < rows; row++) {
    const letter = String.fromCharCode(65 + row);
    const line = document.createElement('div');
    line.className = 'row';
    const label = document.createElement('span');
    label.className = 'row-label';
    label.textContent = letter;
    line.append(label);
    for (let number = 1; number <= seatsPerRow; number++) {
      const id = `${letter}-${number}`;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'seat';
      button.dataset.seat = id;
      button.textContent = String(number);
      button.addEventListener('click', () => toggleSeat(id));
      line.append(button);
      state.seats.set(id, { status: 'available', button });
      renderSeat(id);
    }
    map.append(line);
  }
}

function setSeatStatus(id, status) {
  const seat = state.seats.get(id);
  if (!seat) return;
  seat.status = status;
  if (status !== 'available' && state.selected.has(id) && !state.booking) {
    state.selected.delete(id);
    showResult('failed', `Seat ${id} was just taken by someone else.`);
    updateCheckout();
  }
  renderSeat(id);
}

function renderSeat(id) {
  const seat = state.seats.get(id);
  if (!seat) return;
  const { button, status } = seat;
  const selected = state.selected.has(id);
  const mine = state.mine.has(id) && status !== 'available';
  const [row, number] = id.split('-');
  button.dataset.status = status;
  button.dataset.mine = String(mine);
  button.setAttribute('aria-pressed', String(selected));
  button.disabled = state.booking || (status !== 'available' && !selected);
  const described = mine ? `yours (${status})` : selected ? 'selected' : status;
  button.setAttribute('aria-label', `Row ${row} seat ${number}, ${described}`);
  button.title = `${id}: ${described}`;
}

function toggleSeat(id) {
  const seat = state.seats.get(id);
  if (!seat || state.booking) return;
  if (state.selected.has(id)) state.selected.delete(id);
  else if (seat.status !== 'available') return;
  else if (state.selected.size >= MAX_SEATS) return showResult('failed', `At most ${MAX_SEATS} seats per booking.`);
  else state.selected.add(id);
  renderSeat(id);
  updateCheckout();
}

function showAvailability({ capacity, available }) {
  const total = capacity ?? state.event?.seating.capacity ?? 0;
  $('ga-available').textContent = String(available);
  $('ga-capacity').textContent = String(total);
  $('ga-meter').style.width = `${total ? (100 * available) / total : 0}%`;
  const quantity = $('ga-quantity');
  quantity.max = String(Math.max(1, Math.min(MAX_SEATS, available)));
  updateCheckout();
}

/** Marks the seats of this user's live reservations for the open event as theirs. */
async function loadMine() {
  if (!state.token || !state.event || state.event.seating.type !== 'reserved') return;
  const eventId = state.event.id;
  const { ok, body } = await api('GET', `/api/reservations?eventId=${encodeURIComponent(eventId)}`);
  if (!ok || state.event?.id !== eventId) return;
  const previous = [...state.mine];
  state.mine.clear();
  for (const reservation of body.reservations ?? []) {
    if (reservation.status === 'held' || reservation.status === 'confirmed' || reservation.status === 'pending') for (const id of reservation.seats ?? []) state.mine.add(id);
  }
  for (const id of new Set([...previous, ...state.mine])) renderSeat(id);
}

// ---------- Checkout ----------

function updateCheckout() {
  const event = state.event;
  if (!event) return;
  const reserved = event.seating.type === 'reserved';
  const count = reserved ? state.selected.size : Number($('ga-quantity').value) || 0;
  const picked = [...state.selected].sort(bySeat);
  $('selection').textContent = reserved
    ? count === 0
      ? 'Pick your seats on the map (up to 10).'
      : `${count} seat${count > 1 ? 's' : ''}: ${picked.join(', ')} — ${formatMoney(count * event.priceCents, event.currency)}`
    : `${count} ticket${count === 1 ? '' : 's'} — ${formatMoney(count * event.priceCents, event.currency)}`;
  $('login').hidden = Boolean(state.token);
  $('book').disabled = state.booking || !state.token || count < 1 || count > MAX_SEATS;
  $('book').textContent = state.token ? 'Book' : 'Log in to book';
}

async function book(submitEvent) {
  submitEvent.preventDefault();
  const event = state.event;
  if (!event || state.booking) return;
  const reserved = event.seating.type === 'reserved';
  const seats = [...state.selected].sort(bySeat);
  const request = { eventId: event.id, paymentToken: $('card').value, ...(reserved ? { seats } : { quantity: Number($('ga-quantity').value) }) };
  setBooking(true);
  try {
    let { status, body } = await api('POST', '/api/reservations', request);
    if (status === 202) body = await waitForEnd(body.id);
    if (status === 401) return logOut('Log in again to book.');
    if (body.status === 'confirmed') {
      if (reserved) for (const id of seats) state.mine.add(id);
      showConfirmed(body);
    } else {
      showFailed(body);
    }
  } catch (error) {
    showResult('failed', `The request did not go through: ${error.message}`);
  } finally {
    state.selected.clear();
    setBooking(false);
  }
}

/** The saga outlived the request: follow the reservation until it ends. */
async function waitForEnd(reservationId) {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const { body } = await api('GET', `/api/reservations/${reservationId}`);
    if (body.status !== 'pending') return body.status === 'failed' ? { error: body.failureReason, message: 'The reservation failed.', details: { reservation: body } } : body;
  }
}

function setBooking(booking) {
  state.booking = booking;
  $('working').hidden = !booking;
  if (booking) $('result').hidden = true;
  for (const id of state.seats.keys()) renderSeat(id);
  updateCheckout();
}

function showConfirmed(reservation) {
  const result = $('result');
  result.replaceChildren();
  result.className = 'result ok';
  const title = document.createElement('p');
  title.innerHTML = '<strong>Booked!</strong> Your tickets:';
  const list = document.createElement('ul');
  for (const ticket of reservation.tickets ?? []) {
    const item = document.createElement('li');
    const code = document.createElement('code');
    code.textContent = ticket.code;
    item.append(code, ticket.seat && !ticket.seat.startsWith('GA-') ? ` — seat ${ticket.seat}` : '');
    list.append(item);
  }
  result.append(title, list, workflowLink(reservation.workflowId));
  result.hidden = false;
}

function showFailed(body) {
  const reasons = {
    payment_declined: 'Your card was declined. Nothing was charged and the seats were released.',
    seats_unavailable: `Someone was faster: ${(body.details?.seats ?? []).join(', ')} ${body.details?.seats?.length === 1 ? 'is' : 'are'} no longer available.`,
    sold_out: 'Sold out: not enough tickets left.',
    event_not_on_sale: 'This event is no longer on sale.',
  };
  const result = $('result');
  result.replaceChildren();
  result.className = 'result failed';
  const text = document.createElement('p');
  const strong = document.createElement('strong');
  strong.textContent = 'Not booked. ';
  text.append(strong, reasons[body.error] ?? body.message ?? 'Something went wrong.');
  const code = document.createElement('p');
  code.className = 'meta';
  code.textContent = `Reason: ${body.error ?? 'unknown'}`;
  result.append(text, code);
  const workflowId = body.details?.reservation?.workflowId;
  if (workflowId) result.append(workflowLink(workflowId));
  result.hidden = false;
}

function showResult(kind, message) {
  const result = $('result');
  result.className = `result ${kind}`;
  result.textContent = message;
  result.hidden = false;
}

function workflowLink(workflowId) {
  const paragraph = document.createElement('p');
  if (!workflowId || !state.config.temporalUiUrl) return paragraph;
  const link = document.createElement('a');
  link.href = `${state.config.temporalUiUrl}/namespaces/${encodeURIComponent(state.config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  link.target = '_blank';
  link.rel = 'noopener';
  link.textContent = 'See this booking’s workflow in the Temporal UI';
  paragraph.append(link);
  return paragraph;
}

// ---------- Log in ----------

async function logIn(credentials) {
  $('login-error').hidden = true;
  const { ok, body } = await api('POST', '/api/auth/login', credentials);
  if (!ok) {
    $('login-error').textContent = body.message ?? 'Could not log in.';
    $('login-error').hidden = false;
    return;
  }
  state.token = body.token;
  state.user = body.user;
  sessionStorage.setItem('boxoffice.token', body.token);
  sessionStorage.setItem('boxoffice.user', JSON.stringify(body.user));
  showAccount();
  live.reconnect();
  await loadMine();
  updateCheckout();
}

function logOut(reason) {
  state.token = null;
  state.user = null;
  sessionStorage.removeItem('boxoffice.token');
  sessionStorage.removeItem('boxoffice.user');
  state.mine.clear();
  for (const id of state.seats.keys()) renderSeat(id);
  showAccount();
  live.reconnect();
  updateCheckout();
  if (reason) showResult('failed', reason);
}

function showAccount() {
  $('who').textContent = state.user ? `Signed in as ${state.user.name}` : '';
  $('logout').hidden = !state.user;
}

// ---------- Helpers and start ----------

const formatDate = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const formatMoney = (cents, currency) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
function bySeat(a, b) {
  const [rowA, numberA] = a.split('-');
  const [rowB, numberB] = b.split('-');
  return rowA === rowB ? Number(numberA) - Number(numberB) : rowA.localeCompare(rowB);
}

function route() {
  const eventId = new URLSearchParams(location.hash.slice(1)).get('event');
  if (eventId) void openEvent(eventId);
  else {
    if (state.event) live.send({ type: 'unsubscribe', eventId: state.event.id });
    void showEventList();
  }
}

$('checkout').addEventListener('submit', book);
$('ga-quantity').addEventListener('input', updateCheckout);
$('back').addEventListener('click', () => (location.hash = ''));
$('logout').addEventListener('click', () => logOut());
$('demo').addEventListener('click', () => logIn(DEMO));
$('login-submit').addEventListener('click', () => logIn({ email: $('email').value, password: $('password').value }));
$('password').addEventListener('keydown', (key) => {
  if (key.key === 'Enter') {
    key.preventDefault();
    void logIn({ email: $('email').value, password: $('password').value });
  }
});
window.addEventListener('hashchange', route);

const configResponse = await api('GET', '/api/config');
if (configResponse.ok) state.config = configResponse.body;
showAccount();
live.connect();
route();
