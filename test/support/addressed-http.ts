import { randomInt, randomUUID } from 'node:crypto';
import { request } from 'node:http';

export interface AddressedAnswer {
  status: number;
  body: { error?: string; message?: string; details?: Record<string, unknown>; token?: string; user?: { id: string } };
  retryAfter: string | undefined;
}

/** A loopback address of its own (Linux answers all of 127/8), so a test's per-address counters are its own. */
export const freshLoopbackAddress = (): string => `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
/** A documentation address (RFC 5737) for X-Forwarded-For, unique enough per test run. */
export const freshForwardedAddress = (): string => `198.51.${randomInt(0, 256)}.${randomInt(1, 255)}`;

/**
 * A JSON call from a chosen local address (the client's address the API sees) and with chosen
 * headers (X-Forwarded-For): fetch can do neither.
 */
export function callFrom(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; localAddress?: string; headers?: Record<string, string> } = {},
): Promise<AddressedAnswer> {
  const url = new URL(path, baseUrl);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, ...(options.localAddress ? { localAddress: options.localAddress } : {}), agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as AddressedAnswer['body'], retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

export const PASSWORD = 'correct horse battery';
export const freshEmail = (what = 'someone'): string => `${what}-${randomUUID()}@limits.test`;
