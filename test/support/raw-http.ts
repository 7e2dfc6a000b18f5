import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';

/** A request written byte for byte, as no HTTP client library would send it. */
export interface RawRequest {
  what: string;
  bytes: Buffer;
  /** The app (not Node's HTTP parser) answers it: the body must be the contract's error shape. */
  answeredByApp: boolean;
}

export interface RawAnswer {
  status: number | undefined;
  body: string;
  /** The server closed the connection or answered within the wait. */
  settled: boolean;
}

/** Sends `bytes` on a fresh connection and reads until the server closes it (or `waitMs` passes). */
export function sendRaw(port: number, bytes: Buffer, waitMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const finish = (settled: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: status ? Number(status) : undefined, body: split >= 0 ? text.slice(split + 4) : '', settled });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('error', () => finish(chunks.length > 0));
    socket.on('connect', () => socket.write(bytes));
  });
}

const request = (head: string, body: Buffer | string = ''): Buffer => Buffer.concat([Buffer.from(head.replaceAll('\n', '\r\n'), 'latin1'), typeof body === 'string' ? Buffer.from(body, 'latin1') : body]);

/** Path traversal, malformed framing, smuggling attempts, lying lengths and compressed bombs. */
export function rawRequests(forgedToken: string, maxBodyBytes: number): RawRequest[] {
  const json = '{"email":"raw@example.test","password":"long enough","name":"Raw"}';
  const bomb = gzipSync(Buffer.from(JSON.stringify({ email: 'bomb@example.test', password: 'long enough', name: 'x'.repeat(maxBodyBytes * 40) })));
  return [
    { what: 'path traversal to /etc/passwd', bytes: request('GET /../../../../etc/passwd HTTP/1.1\nHost: x\nConnection: close\n\n'), answeredByApp: true },
    { what: 'path traversal with a served extension', bytes: request('GET /../../../../../etc/hosts.css HTTP/1.1\nHost: x\nConnection: close\n\n'), answeredByApp: true },
    { what: 'path traversal to the repository', bytes: request('GET /../../package.json.map HTTP/1.1\nHost: x\nConnection: close\n\n'), answeredByApp: true },
    { what: 'encoded path traversal', bytes: request('GET /..%2f..%2f..%2fetc%2fpasswd.html HTTP/1.1\nHost: x\nConnection: close\n\n'), answeredByApp: true },
    { what: 'backslash traversal', bytes: request('GET /..\\..\\..\\etc\\passwd.js HTTP/1.1\nHost: x\nConnection: close\n\n'), answeredByApp: true },
    { what: 'Latin-1 bytes in a token', bytes: request('GET /api/users HTTP/1.1\nHost: x\nAuthorization: Bearer \xff\xfe\xfd\nConnection: close\n\n'), answeredByApp: true },
    { what: 'a forged token in a second Authorization header', bytes: request(`GET /api/users HTTP/1.1\nHost: x\nAuthorization: Bearer ${forgedToken}\nAuthorization: Bearer ${forgedToken}\nConnection: close\n\n`), answeredByApp: true },
    { what: 'Latin-1 bytes in the path', bytes: request('GET /api/events/\xff\xfe HTTP/1.1\nHost: x\nConnection: close\n\n'), answeredByApp: false },
    { what: 'Content-Length larger than the limit', bytes: request(`POST /api/auth/register HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 99999999999\nConnection: close\n\n`, json), answeredByApp: true },
    { what: 'a gzip bomb (inflates beyond the limit)', bytes: request(`POST /api/auth/register HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Encoding: gzip\nContent-Length: ${bomb.length}\nConnection: close\n\n`, bomb), answeredByApp: true },
    { what: 'gzip that is not gzip', bytes: request(`POST /api/auth/register HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Encoding: gzip\nContent-Length: ${json.length}\nConnection: close\n\n`, json), answeredByApp: true },
    { what: 'an unknown content encoding', bytes: request(`POST /api/auth/register HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Encoding: zstd-nope\nContent-Length: ${json.length}\nConnection: close\n\n`, json), answeredByApp: true },
    { what: 'Content-Length and Transfer-Encoding together (smuggling)', bytes: request(`POST /api/auth/register HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 4\nTransfer-Encoding: chunked\nConnection: close\n\n0\r\n\r\nGET /api/users HTTP/1.1\r\nHost: x\r\n\r\n`), answeredByApp: false },
    { what: 'a broken chunked body', bytes: request('POST /api/auth/register HTTP/1.1\nHost: x\nContent-Type: application/json\nTransfer-Encoding: chunked\nConnection: close\n\nzz\r\n{}\r\n0\r\n\r\n'), answeredByApp: false },
    { what: 'two Content-Length headers that disagree', bytes: request(`POST /api/auth/register HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 2\nContent-Length: ${json.length}\nConnection: close\n\n`, json), answeredByApp: false },
    { what: 'a NUL in a header', bytes: request('GET /api/me HTTP/1.1\nHost: x\nAuthorization: Bearer a\x00b\nConnection: close\n\n'), answeredByApp: false },
    { what: 'headers beyond 16 KiB', bytes: request(`GET /api/me HTTP/1.1\nHost: x\nX-Padding: ${'p'.repeat(20_000)}\nConnection: close\n\n`), answeredByApp: false },
    { what: 'not HTTP at all', bytes: request('HELLO THERE\n\n'), answeredByApp: false },
    { what: 'a request line without a version', bytes: request('GET /api/users\n\n'), answeredByApp: false },
    { what: 'an unknown method', bytes: request('BREW /api/users HTTP/1.1\nHost: x\nConnection: close\n\n'), answeredByApp: false },
    { what: 'an absolute URL to another host', bytes: request('GET http://evil.example/api/users HTTP/1.1\nHost: evil.example\nConnection: close\n\n'), answeredByApp: true },
  ];
}
