import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useApp, useInput, useStdout, type Key } from 'ink';
import type { Event, Reservation, User } from '../api/contract/index.js';
import type { SnapshotMessage } from '../api/live/protocol.js';
import { openStatuses } from '../lib/reservations.js';
import { MAX_SEATS_PER_RESERVATION, type SeatStatus } from '../lib/seating.js';
import type { ApiClient } from './api-client.js';
import { bySeat, describeRefusal, formatMoney } from './format.js';
import { useRefState } from './ref-state.js';
import { LiveFeed, type ChangeMessage, type FeedState } from './live-feed.js';
import type { ClientOptions } from './options.js';
import { moveCursor, seatAt, testCards, toggleSeat, type Cursor } from './seat-grid.js';
import { eventListView, eventView, frame, loginView, reservationsView, type BookingResult, type Notice } from './views.js';

/** The demo account scripts/demo-data.ts creates. */
export const DEMO_CUSTOMER = { email: 'customer@boxoffice.test', password: 'customer-password' };

type Screen = 'login' | 'events' | 'event' | 'reservations';

const keyHelp: Record<Screen, string> = {
  login: 'Enter: next / log in · Esc: quit',
  events: '↑↓ choose · Enter open · / filter · r refresh · m my reservations · q quit',
  event: 'arrows move · space pick · b book · t card · m my reservations · Esc back · q quit',
  reservations: '↑↓ choose · x cancel the reservation · r refresh · Esc back · q quit',
};

/** What the event list shows: not the cancelled ones, and those whose name has the filter's text. */
function listed(events: readonly Event[], filter: string): Event[] {
  const needle = filter.trim().toLowerCase();
  return events.filter((candidate) => candidate.status !== 'cancelled' && (!needle || candidate.name.toLowerCase().includes(needle)));
}

export function App({ api, options }: { api: ApiClient; options: ClientOptions }): ReactNode {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [screen, setScreen, screenRef] = useRefState<Screen>('login');
  const [user, setUser] = useState<User>();
  const [notice, setNotice] = useState<Notice>();
  const [busy, setBusy, busyRef] = useRefState<string | undefined>(undefined);

  const [email, setEmail] = useState(options.email ?? '');
  const [password, setPassword] = useState('');
  const [field, setField] = useState<'email' | 'password'>('email');
  const typed = useRef({ email: options.email ?? '', password: '' });

  const [events, setEvents, eventsRef] = useRefState<Event[]>([]);
  const [eventIndex, setEventIndex, eventIndexRef] = useRefState(0);
  const [filter, setFilter, filterRef] = useRefState('');
  const [filtering, setFiltering, filteringRef] = useRefState(false);

  const [event, setEvent, eventRef] = useRefState<Event | undefined>(undefined);
  const [seats, setSeats, seatsRef] = useRefState<ReadonlyMap<string, SeatStatus>>(new Map());
  const [counts, setCounts] = useState({ available: 0, held: 0, sold: 0 });
  const [mine, setMine] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected, selectedRef] = useRefState<ReadonlySet<string>>(new Set());
  const [cursor, setCursor, cursorRef] = useRefState<Cursor>({ row: 0, column: 0 });
  const [card, setCard, cardRef] = useRefState(0);
  const [quantity, setQuantity, quantityRef] = useRefState(1);
  const [feedState, setFeedState] = useState<{ state: FeedState; detail?: string | undefined }>({ state: 'connecting' });
  const [result, setResult] = useState<BookingResult>();

  const [reservations, setReservations, reservationsRef] = useRefState<Reservation[]>([]);
  const [reservationIndex, setReservationIndex, reservationIndexRef] = useRefState(0);

  const height = Math.max(5, (stdout.rows || 24) - 12);
  const shown = useMemo(() => listed(events, filter), [events, filter]);
  const names = useMemo(() => new Map(events.map((known) => [known.id, known.name])), [events]);

  /** Seats of the user's live reservations for the open event: drawn as theirs. */
  const loadMine = useCallback(async () => {
    const open = eventRef.current;
    if (!open || open.seating.type !== 'reserved') return;
    const answer = await api.myReservations(open.id);
    if (!answer.ok || eventRef.current?.id !== open.id) return;
    const ids = new Set<string>();
    for (const reservation of answer.body.reservations) if ((openStatuses as readonly string[]).includes(reservation.status)) for (const id of reservation.seats ?? []) ids.add(id);
    setMine(ids);
  }, [api]);

  const loadReservations = useCallback(async () => {
    const answer = await api.myReservations();
    if (!answer.ok) return setNotice({ kind: 'error', text: `Could not list your reservations: ${describeRefusal(answer.body)}` });
    setReservations(answer.body.reservations);
    setReservationIndex((index) => Math.min(index, Math.max(0, answer.body.reservations.length - 1)));
  }, [api]);

  const feed = useMemo(
    () =>
      new LiveFeed(options.baseUrl, () => api.token, {
        state: (state, detail) => setFeedState({ state, detail }),
        snapshot(message: SnapshotMessage) {
          if ('seats' in message) setSeats(new Map(message.seats.map((seat) => [seat.id, seat.status])));
          setCounts({ available: message.available, held: message.held, sold: message.sold });
        },
        change(message: ChangeMessage) {
          setCounts({ available: message.available, held: message.held, sold: message.sold });
          if (message.type !== 'seats') return;
          setSeats((previous) => {
            const next = new Map(previous);
            for (const change of message.changes) next.set(change.id, change.status);
            return next;
          });
          // While our own booking runs, its seats turning held and sold is no news.
          if (busyRef.current) return;
          const taken = message.changes.filter((change) => change.status !== 'available').map((change) => change.id);
          setSelected((previous) => {
            const lost = taken.filter((id) => previous.has(id));
            if (lost.length === 0) return previous;
            setNotice({ kind: 'error', text: `Seat ${lost.sort(bySeat).join(', ')} was just taken by someone else.` });
            return new Set([...previous].filter((id) => !lost.includes(id)));
          });
        },
        reservation(message) {
          if (eventRef.current?.id === message.eventId) void loadMine();
          if (screenRef.current === 'reservations') void loadReservations();
        },
        unauthorized() {
          api.token = undefined;
          setUser(undefined);
          setScreen('login');
          setNotice({ kind: 'error', text: 'Your session has expired: log in again.' });
        },
      }),
    [api, options.baseUrl, loadMine, loadReservations],
  );
  useEffect(() => () => feed.close(), [feed]);

  const loadEvents = useCallback(async () => {
    const answer = await api.events();
    if (!answer.ok) return setNotice({ kind: 'error', text: `Could not load the events: ${describeRefusal(answer.body)}` });
    setEvents(answer.body.events);
  }, [api]);

  const logIn = useCallback(
    async (credentials: { email: string; password: string }) => {
      setBusy(`Logging in as ${credentials.email}…`);
      const answer = await api.logIn(credentials.email, credentials.password);
      setBusy(undefined);
      if (!answer.ok) {
        setNotice({ kind: 'error', text: `Could not log in: ${describeRefusal(answer.body)}` });
        setField('email');
        setPassword('');
        typed.current.password = '';
        return;
      }
      setUser(answer.body.user);
      setNotice(undefined);
      feed.reconnect();
      setScreen('events');
      await loadEvents();
    },
    [api, feed, loadEvents],
  );

  useEffect(() => {
    if (options.demo) void logIn(DEMO_CUSTOMER);
    else if (options.email && options.password) void logIn({ email: options.email, password: options.password });
    else if (options.email) setField('password');
  }, [options, logIn]);

  async function openEvent(chosen: Event): Promise<void> {
    const answer = await api.event(chosen.id);
    if (!answer.ok) return setNotice({ kind: 'error', text: `Could not open ${chosen.name}: ${describeRefusal(answer.body)}` });
    setEvent(answer.body);
    setSeats(new Map());
    setCounts({ available: answer.body.availability.available, held: answer.body.availability.held, sold: answer.body.availability.sold });
    setSelected(new Set());
    setMine(new Set());
    setCursor({ row: 0, column: 0 });
    setQuantity(1);
    setResult(undefined);
    setNotice(undefined);
    setScreen('event');
    feed.watch(answer.body.id);
    await loadMine();
  }

  function leaveEvent(): void {
    feed.leave();
    setEvent(undefined);
    setScreen('events');
    void loadEvents();
  }

  async function book(): Promise<void> {
    const event = eventRef.current;
    const quantity = quantityRef.current;
    if (!event || busyRef.current) return;
    const seatsPicked = [...selectedRef.current].sort(bySeat);
    const reserved = event.seating.type === 'reserved';
    if (reserved && seatsPicked.length === 0) return setNotice({ kind: 'error', text: 'Pick at least one seat first (space).' });
    const paymentToken = (testCards[cardRef.current] ?? testCards[0]).token;
    setBusy(`Booking ${reserved ? seatsPicked.join(', ') : `${quantity} tickets`} with ${paymentToken}…`);
    setResult(undefined);
    setNotice(undefined);
    const answer = await api.book({ eventId: event.id, paymentToken, ...(reserved ? { seats: seatsPicked } : { quantity }) });
    setBusy(undefined);
    setSelected(new Set());
    if (answer.status === 401) {
      api.token = undefined;
      setUser(undefined);
      setScreen('login');
      return setNotice({ kind: 'error', text: 'Your session has expired: log in again to book.' });
    }
    if (!answer.ok) setResult({ kind: 'refused', body: answer.body });
    else if (answer.body.status === 'confirmed') setResult({ kind: 'booked', reservation: answer.body });
    else setResult({ kind: 'refused', body: { error: answer.body.failureReason ?? answer.body.status, message: `The reservation ended ${answer.body.status}.` } });
    await loadMine();
  }

  async function cancelChosen(): Promise<void> {
    const chosen = reservationsRef.current[reservationIndexRef.current];
    if (!chosen || busyRef.current) return;
    setBusy(`Cancelling ${chosen.id.slice(0, 8)}…`);
    const answer = await api.cancel(chosen.id);
    setBusy(undefined);
    if (!answer.ok) setNotice({ kind: 'error', text: `Not cancelled: ${describeRefusal(answer.body)}` });
    else setNotice({ kind: 'ok', text: `Reservation ${chosen.id.slice(0, 8)} is ${answer.body.status}; refunded ${formatMoney(answer.body.refundedCents, chosen.currency)}.` });
    await loadReservations();
    await loadMine();
  }

  function quit(): void {
    feed.close();
    exit();
  }

  // Keys typed faster than they are read arrive as one string (" t"): each is a key of its own.
  useInput((input, key) => {
    if (input.length > 1 && !key.ctrl && !key.meta) for (const char of input) handleKey(char, key);
    else handleKey(input, key);
  });

  function handleKey(input: string, key: Key): void {
    const screen = screenRef.current;
    if (screen === 'login') {
      if (key.escape) quit();
      return;
    }
    if (screen === 'events' && filteringRef.current) {
      if (key.escape) setFilter('');
      if (key.return || key.escape) setFiltering(false);
      else if (key.backspace || key.delete) setFilter((text) => text.slice(0, -1));
      else if (input && !key.ctrl && !key.meta) setFilter((text) => text + input);
      setEventIndex(0);
      return;
    }
    if (input === 'q') return quit();
    if (busyRef.current) return;
    if (input === 'm' && screen !== 'reservations') {
      setScreen('reservations');
      setNotice(undefined);
      void loadReservations();
      return;
    }
    switch (screen) {
      case 'events': {
        const shown = listed(eventsRef.current, filterRef.current);
        if (key.upArrow) setEventIndex((index) => Math.max(0, index - 1));
        else if (key.downArrow) setEventIndex((index) => Math.min(shown.length - 1, index + 1));
        else if (input === '/') setFiltering(true);
        else if (input === 'r') void loadEvents();
        else if (key.return) {
          const chosen = shown[Math.min(eventIndexRef.current, shown.length - 1)];
          if (chosen) void openEvent(chosen);
        }
        return;
      }
      case 'event': {
        const event = eventRef.current;
        if (!event) return;
        if (key.escape) return leaveEvent();
        if (input === 't') return setCard((index) => (index + 1) % testCards.length);
        if (input === 'b' || key.return) return void book();
        if (event.seating.type === 'general') {
          if (input === '+' || key.rightArrow || key.upArrow) setQuantity((count) => Math.min(MAX_SEATS_PER_RESERVATION, count + 1));
          else if (input === '-' || key.leftArrow || key.downArrow) setQuantity((count) => Math.max(1, count - 1));
          return;
        }
        const room = event.seating;
        const direction = key.upArrow ? 'up' : key.downArrow ? 'down' : key.leftArrow ? 'left' : key.rightArrow ? 'right' : undefined;
        if (direction) return setCursor((current) => moveCursor(current, direction, room));
        if (input === ' ') {
          const id = seatAt(cursorRef.current);
          const toggled = toggleSeat(selectedRef.current, id, seatsRef.current.get(id) ?? 'available');
          setSelected(toggled.selected);
          setNotice(toggled.refusal ? { kind: 'error', text: toggled.refusal } : undefined);
        }
        return;
      }
      case 'reservations':
        if (key.escape) return setScreen(eventRef.current ? 'event' : 'events');
        if (key.upArrow) setReservationIndex((index) => Math.max(0, index - 1));
        else if (key.downArrow) setReservationIndex((index) => Math.min(reservationsRef.current.length - 1, index + 1));
        else if (input === 'r') void loadReservations();
        else if (input === 'x') void cancelChosen();
        return;
    }
  }

  let title: string;
  let body: ReactNode;
  switch (screen) {
    case 'login':
      title = 'log in';
      body = loginView({
        email,
        password,
        field,
        setEmail: (value) => {
          typed.current.email = value;
          setEmail(value);
        },
        setPassword: (value) => {
          typed.current.password = value;
          setPassword(value);
        },
        // What was typed, not this render's values: keys and Enter in one burst arrive before a re-render.
        submitEmail: () => (typed.current.email.trim() === '' ? void logIn(DEMO_CUSTOMER) : setField('password')),
        submitPassword: () => (typed.current.password === '' ? undefined : void logIn({ email: typed.current.email.trim(), password: typed.current.password })),
      });
      break;
    case 'events':
      title = 'events';
      body = eventListView({ events: shown, selected: Math.min(eventIndex, Math.max(0, shown.length - 1)), filter, filtering, height });
      break;
    case 'event':
      title = event?.name ?? 'event';
      body = event ? eventView({ event, seats, counts, mine, selected, cursor, card, quantity, feed: feedState, result }) : null;
      break;
    case 'reservations':
      title = 'my reservations';
      body = reservationsView({ reservations, names, selected: reservationIndex, height });
      break;
  }
  return frame(title, user ? `${user.name} <${user.email}>` : undefined, body, keyHelp[screen], notice, busy);
}
