import type { ErrorBody } from '../../api/contract/index.js';
import { state } from './state.js';

/** An answer of the API: the body the route promises on success, its error body otherwise. */
export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; body: Partial<ErrorBody> };

/** Calls the API with the session's bearer token (and any `extraHeaders`); a body that is not JSON reads as `{}`. */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json: unknown = await response.json().catch(() => ({}));
  return response.ok ? { ok: true, status: response.status, body: json as T } : { ok: false, status: response.status, body: json as Partial<ErrorBody> };
}
