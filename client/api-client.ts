import { randomUUID } from 'node:crypto';
import type { Cancellation, ErrorBody, Event, EventList, PendingReservation, Reservation, ReservationList, Session } from '../api/contract/index.js';

/** An answer of the API: the body the route promises on success, its error body otherwise. */
export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; body: Partial<ErrorBody> };

/** Longer than the API's own wait for a saga (RESERVATION_WAIT_MS, 10 s), so a slow booking still answers. */
const CALL_TIMEOUT_MS = 30_000;
const POLL_MS = 1000;

export type BookingRequest = { eventId: string; paymentToken: string } & ({ seats: string[] } | { quantity: number });

/** The public HTTP API as the terminal client uses it: JSON, the session's bearer token. */
export class ApiClient {
  token: string | undefined;

  constructor(readonly baseUrl: string) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult<T>> {
    const sent: Record<string, string> = { accept: 'application/json', ...headers };
    if (body !== undefined) sent['content-type'] = 'application/json';
    if (this.token) sent.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
      return { ok: false, status: 0, body: { error: 'unreachable', message: `Cannot reach ${this.baseUrl}: ${cause}` } };
    }
    const json: unknown = await response.json().catch(() => ({}));
    return response.ok ? { ok: true, status: response.status, body: json as T } : { ok: false, status: response.status, body: json as Partial<ErrorBody> };
  }

  async logIn(email: string, password: string): Promise<ApiResult<Session>> {
    const answer = await this.call<Session>('POST', '/api/auth/login', { email, password });
    if (answer.ok) this.token = answer.body.token;
    return answer;
  }

  events = () => this.call<EventList>('GET', '/api/events');
  event = (id: string) => this.call<Event>('GET', `/api/events/${encodeURIComponent(id)}`);
  myReservations = (eventId?: string) => this.call<ReservationList>('GET', `/api/reservations${eventId ? `?eventId=${encodeURIComponent(eventId)}` : ''}`);
  cancel = (id: string) => this.call<Cancellation>('POST', `/api/reservations/${encodeURIComponent(id)}/cancel`, {});

  /**
   * Books and waits for the end: a 202 (the saga outlived the request) is followed until the
   * reservation leaves pending. One Idempotency-Key per booking, so nothing is bought twice.
   */
  async book(request: BookingRequest): Promise<ApiResult<Reservation>> {
    const answer = await this.call<Reservation | PendingReservation>('POST', '/api/reservations', request, { 'idempotency-key': randomUUID() });
    if (!answer.ok || answer.status !== 202) return answer as ApiResult<Reservation>;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const polled = await this.call<Reservation>('GET', `/api/reservations/${encodeURIComponent(answer.body.id)}`);
      if (!polled.ok || polled.body.status !== 'pending') return polled;
    }
  }
}
