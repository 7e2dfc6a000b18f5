import { randomUUID } from 'node:crypto';

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small JSON client for the API under test, with helpers for the common set-up steps. */
export class HttpClient {
  constructor(readonly baseUrl: string) {}

  async request<T = Record<string, unknown>>(method: string, path: string, options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(this.baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = Record<string, unknown>>(path: string, token?: string) {
    return this.request<T>('GET', path, token ? { token } : {});
  }

  post<T = Record<string, unknown>>(path: string, body: unknown, token?: string, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { body, ...(token ? { token } : {}), ...(headers ? { headers } : {}) });
  }

  /** Registers a fresh account and returns its token and id. */
  async user(role: 'customer' | 'organizer' = 'customer'): Promise<{ token: string; id: string; email: string }> {
    const email = `${role}-${randomUUID()}@example.test`;
    const result = await this.post<{ token: string; user: { id: string } }>('/api/auth/register', { email, password: 'correct horse battery', name: `Test ${role}`, role });
    if (result.status !== 201) throw new Error(`register failed: ${result.status} ${JSON.stringify(result.body)}`);
    return { token: result.body.token, id: result.body.user.id, email };
  }

  /** Creates an event as `organizerToken` and returns its id. */
  async event(organizerToken: string, seating: { type: 'reserved'; rows: number; seatsPerRow: number } | { type: 'general'; capacity: number } = { type: 'reserved', rows: 3, seatsPerRow: 5 }, priceCents = 2000): Promise<string> {
    const result = await this.post<{ id: string }>(
      '/api/events',
      { name: `Test event ${randomUUID().slice(0, 8)}`, venue: 'Test hall', startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), priceCents, seating },
      organizerToken,
    );
    if (result.status !== 201) throw new Error(`create event failed: ${result.status} ${JSON.stringify(result.body)}`);
    return result.body.id;
  }
}
