import type { Event, Reservation, User } from '../../api/contract/index.js';
import type { SeatStatus } from '../../lib/seating.js';

/** GET /api/config: where the Temporal Web UI is, and the namespace (api/routes/client-config.ts). */
export interface ClientConfig {
  temporalUiUrl: string;
  namespace: string;
}

export interface SeatView {
  status: SeatStatus;
  button: HTMLButtonElement;
}

export const TOKEN_KEY = 'boxoffice.token';
export const USER_KEY = 'boxoffice.user';

function storedUser(): User | null {
  const raw = sessionStorage.getItem(USER_KEY);
  return raw ? (JSON.parse(raw) as User) : null;
}

/** What the page shows, shared by its parts. */
export const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  user: storedUser(),
  config: { temporalUiUrl: '', namespace: 'default' } as ClientConfig,
  event: undefined as Event | undefined,
  /** Reserved seating: seat id → its status and button. */
  seats: new Map<string, SeatView>(),
  selected: new Set<string>(),
  /** Seats of this user's live reservations for the open event. */
  mine: new Set<string>(),
  /** Best available: the hold the house picked, waiting for the buyer to book or release it. */
  offer: undefined as Reservation | undefined,
  booking: false,
};
