import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * One address in front of several API processes, as a load balancer gives a production
 * deployment: each HTTP request and each WebSocket upgrade goes to the next API in turn. An API
 * that refuses the connection (down, restarting) is skipped, which is safe since it never saw the
 * request; when every one refuses, the answer is 503 `service_unavailable`, like the API's own.
 * Written on node:http and node:net because no proxy library is installed here; it is a
 * development tool (no TLS, no health checks beyond refused connections).
 */
export interface ProxyTarget {
  host: string;
  port: number;
}

export interface RoundRobinProxy {
  port: number;
  /** Requests and upgrades sent to each target so far, by "host:port". */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

export interface ProxyOptions {
  host: string;
  /** 0 for any free port. */
  port: number;
  targets: readonly ProxyTarget[];
}

/** Bodies are buffered (so that a refused request can go to the next target); the APIs refuse more than 64 KiB anyway. */
const MAX_BUFFERED_BODY = 1024 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

const key = (target: ProxyTarget) => `${target.host}:${target.port}`;

function refused(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED';
}

function unavailable(res: ServerResponse, message: string): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ error: 'service_unavailable', message });
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '1' });
  res.end(body);
}

function forwardedFor(req: IncomingMessage): string {
  const previous = req.headers['x-forwarded-for'];
  const client = req.socket.remoteAddress ?? '';
  return previous ? `${String(previous)}, ${client}` : client;
}

export function startRoundRobinProxy(options: ProxyOptions): Promise<RoundRobinProxy> {
  if (options.targets.length === 0) throw new Error('the proxy needs at least one target');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const sent = new Map<string, number>();
  let next = 0;
  /** The targets in the order to try for one request: the next in turn, then the others. */
  const rotation = (): ProxyTarget[] => {
    const start = next++ % options.targets.length;
    return options.targets.map((_, i) => options.targets[(start + i) % options.targets.length] as ProxyTarget);
  };
  const count = (target: ProxyTarget) => sent.set(key(target), (sent.get(key(target)) ?? 0) + 1);

  function send(req: IncomingMessage, res: ServerResponse, body: Buffer, targets: ProxyTarget[], retriedStale = false): void {
    const [target, ...rest] = targets;
    if (!target) return unavailable(res, 'No API process accepts connections right now; nothing was done');
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    headers['x-forwarded-for'] = forwardedFor(req);
    headers['x-forwarded-proto'] = 'http';
    if (body.length > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = body.length;
    const upstream = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers, agent });
    upstream.on('response', (answer) => {
      count(target);
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (error) => {
      if (res.headersSent) return void res.destroy();
      if (refused(error)) return send(req, res, body, rest);
      // A kept-alive socket the API closed just as it was reused: the request never reached it (the
      // retry Node's documentation recommends for `reusedSocket`).
      if (upstream.reusedSocket && (error as NodeJS.ErrnoException).code === 'ECONNRESET' && !retriedStale) return send(req, res, body, targets, true);
      unavailable(res, `The API process closed the connection before answering (${error.message}); the request may or may not have been done`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BUFFERED_BODY) {
        const body = JSON.stringify({ error: 'payload_too_large', message: `Request bodies are limited to ${MAX_BUFFERED_BODY} bytes` });
        res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
        res.end(body);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => send(req, res, Buffer.concat(chunks), rotation()));
    req.on('error', () => res.destroy());
  }

  function upgradeTo(req: IncomingMessage, client: Duplex, head: Buffer, targets: ProxyTarget[]): void {
    const [target, ...rest] = targets;
    if (!target) {
      client.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      count(target);
      upstream.setNoDelay(true);
      const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        if ((req.rawHeaders[i] ?? '').toLowerCase() !== 'x-forwarded-for') lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`X-Forwarded-For: ${forwardedFor(req)}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (error) => {
      if (!connected && refused(error)) return upgradeTo(req, client, head, rest);
      client.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  }

  const server = http.createServer(onRequest);
  const sockets = new Set<Duplex>();
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (socket instanceof net.Socket) socket.setNoDelay(true);
    upgradeTo(req, socket, head, rotation());
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : options.port,
        counts: () => Object.fromEntries(sent),
        close: async () => {
          const closed = new Promise<void>((done) => server.close(() => done()));
          // Upgraded sockets and kept-alive connections would hold close() open for ever.
          for (const socket of sockets) socket.destroy();
          agent.destroy();
          await closed;
        },
      });
    });
  });
}
