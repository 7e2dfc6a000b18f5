import http from 'node:http';
import type { ErrorBody } from '../api/contract/index.js';

export interface ApiAnswer<T> {
  status: number;
  body: T;
  location?: string;
  /** A 503's (or 429's) Retry-After header, as sent. */
  retryAfter?: string;
}

/** The request never got an HTTP answer: refused, reset, or no answer within the time limit. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    readonly code: 'network_error' | 'client_timeout',
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** A refused connection: the request never reached that server, so sending it to another is safe. */
const REFUSED = /ECONNREFUSED/;
/** How long a server that refused a connection is skipped before it is tried again. */
const SKIP_REFUSED_MS = 1000;

/**
 * A small JSON client over node:http with a keep-alive pool: much cheaper per request than fetch,
 * which matters when the load generator shares two cores with the system it measures. For the same
 * reason answers are not parsed with the contract's zod schemas: `T` is the contract's type, trusted.
 *
 * Given several base URLs (API processes of one stack), requests go round-robin over them; one that
 * refuses connections is skipped for a second and its requests go to the others, as a load balancer
 * in front of them would.
 */
export class ApiClient {
  private readonly agent: http.Agent;
  private readonly origins: URL[];
  private readonly refusedUntil: number[];
  private turn = 0;

  constructor(
    baseUrl: string | readonly string[],
    private readonly options: { maxSockets: number; timeoutMs: number },
  ) {
    this.origins = (typeof baseUrl === 'string' ? [baseUrl] : baseUrl).map((url) => new URL(url));
    if (this.origins.length === 0) throw new Error('ApiClient needs a base URL');
    this.refusedUntil = this.origins.map(() => 0);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer<T>> {
    const first = this.turn++ % this.origins.length;
    for (let i = 0; ; i++) {
      const index = (first + i) % this.origins.length;
      const last = i >= this.origins.length - 1;
      if (!last && this.refusedUntil[index]! > Date.now()) continue;
      try {
        return await this.requestTo<T>(this.origins[index]!, method, path, options);
      } catch (error) {
        if (!(error instanceof TransportError) || !REFUSED.test(error.message)) throw error;
        this.refusedUntil[index] = Date.now() + SKIP_REFUSED_MS;
        if (last) throw error;
      }
    }
  }

  private requestTo<T>(origin: URL, method: string, path: string, options: RequestOptions): Promise<ApiAnswer<T>> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    return new Promise((resolve, reject) => {
      const request = http.request(
        { agent: this.agent, hostname: origin.hostname, port: origin.port || 80, method, path, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (error) => reject(new TransportError('network_error', error.message)));
          response.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : {};
            } catch {
              // Not JSON (the /metrics text, or a proxy's error page): keep the text.
            }
            const { location, 'retry-after': retryAfter } = response.headers;
            resolve({ status: response.statusCode ?? 0, body: body as T, ...(location ? { location } : {}), ...(retryAfter ? { retryAfter } : {}) });
          });
        },
      );
      const timer = setTimeout(() => {
        request.destroy(new TransportError('client_timeout', `${method} ${path}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error instanceof TransportError ? error : new TransportError('network_error', `${method} ${path}: ${error.message}`));
      });
      request.end(payload);
    });
  }

  /** `timeoutMs`: this call's limit, when a caller's deadline is nearer than the client's own. */
  get<T>(path: string, token?: string, timeoutMs?: number): Promise<ApiAnswer<T>> {
    return this.request<T>('GET', path, { ...(token ? { token } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  post<T>(path: string, body: unknown, token?: string, headers?: Record<string, string>, timeoutMs?: number): Promise<ApiAnswer<T>> {
    return this.request<T>('POST', path, { body, ...(token ? { token } : {}), ...(headers ? { headers } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  delete<T>(path: string, token?: string): Promise<ApiAnswer<T>> {
    return this.request<T>('DELETE', path, token ? { token } : {});
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The stable error code of an answer, or a code made from its status when the body has none. */
export function errorCodeOf(answer: ApiAnswer<unknown>): string {
  return isErrorBody(answer.body) ? answer.body.error : `http_${answer.status}`;
}

export function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string';
}

/** The parts of an error's `details` the load script reads; the contract leaves `details` open. */
export interface ErrorDetails {
  /** seats_unavailable: the seats someone else has. */
  seats?: string[];
  /** A conflict about an existing reservation (an Idempotency-Key reused, ...). */
  reservation?: { id?: string; status?: string };
}

/** Reads `details` defensively: only fields of the expected type come through. */
export function errorDetails(body: unknown): ErrorDetails {
  if (!isErrorBody(body) || typeof body.details !== 'object' || body.details === null) return {};
  const { seats, reservation } = body.details as { seats?: unknown; reservation?: unknown };
  const details: ErrorDetails = {};
  if (Array.isArray(seats) && seats.every((seat) => typeof seat === 'string')) details.seats = seats;
  if (typeof reservation === 'object' && reservation !== null) {
    const { id, status } = reservation as { id?: unknown; status?: unknown };
    details.reservation = { ...(typeof id === 'string' ? { id } : {}), ...(typeof status === 'string' ? { status } : {}) };
  }
  return details;
}
