import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { startRoundRobinProxy, type RoundRobinProxy } from '../../scripts/cluster/round-robin-proxy.js';

/**
 * The cluster stack's one address in front of its APIs (scripts/cluster/round-robin-proxy.ts),
 * against two real HTTP servers on loopback that say who answered, one of them with a WebSocket
 * endpoint as the API's /ws.
 */
interface Backend {
  port: number;
  name: string;
  close(): Promise<void>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function backend(name: string): Promise<Backend> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(JSON.stringify({ name, method: req.method, url: req.url, body: Buffer.concat(chunks).toString(), forwardedFor: req.headers['x-forwarded-for'] ?? null }));
    });
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (socket, req) => socket.on('message', (data) => socket.send(`${name}:${String(data)}:${req.url ?? ''}`)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  closers.push(close);
  return { port: (server.address() as AddressInfo).port, name, close };
}

async function proxyOver(backends: Backend[], extraPorts: number[] = []): Promise<RoundRobinProxy> {
  const proxy = await startRoundRobinProxy({ host: '127.0.0.1', port: 0, targets: [...backends.map((b) => ({ host: '127.0.0.1', port: b.port })), ...extraPorts.map((port) => ({ host: '127.0.0.1', port }))] });
  closers.push(() => proxy.close());
  return proxy;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the round-robin proxy', () => {
  it('sends requests to each API in turn, with their method, path, body, status and headers', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const proxy = await proxyOver([a, b]);
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`http://127.0.0.1:${proxy.port}/api/x?i=${i}`, { method: 'POST', body: `body-${i}`, headers: { 'content-type': 'text/plain' } });
      answers.push({ status: res.status, header: res.headers.get('x-backend'), json: (await res.json()) as Record<string, unknown> });
    }
    expect(answers.map((answer) => answer.json.name)).toEqual(['a', 'b', 'a', 'b']);
    expect(answers.map((answer) => answer.header)).toEqual(['a', 'b', 'a', 'b']);
    expect(answers[3]?.json).toMatchObject({ method: 'POST', url: '/api/x?i=3', body: 'body-3', forwardedFor: '127.0.0.1' });
    const missing = await fetch(`http://127.0.0.1:${proxy.port}/missing`);
    expect(missing.status).toBe(404);
    expect(proxy.counts()).toEqual({ [`127.0.0.1:${a.port}`]: 3, [`127.0.0.1:${b.port}`]: 2 });
  });

  it('skips an API that refuses connections, and answers 503 service_unavailable when all do', async () => {
    const a = await backend('a');
    const down = await freePort();
    const proxy = await proxyOver([a], [down]);
    const names = [];
    for (let i = 0; i < 4; i++) names.push(((await (await fetch(`http://127.0.0.1:${proxy.port}/`)).json()) as { name: string }).name);
    expect(names).toEqual(['a', 'a', 'a', 'a']);
    await a.close();
    const refused = await fetch(`http://127.0.0.1:${proxy.port}/`);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toBe('service_unavailable');
  });

  it('carries WebSocket upgrades both ways, to each API in turn', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const proxy = await proxyOver([a, b]);
    const echo = async (text: string) => {
      const socket = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws?token=t`);
      await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
      const answer = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
      socket.send(text);
      const got = await answer;
      socket.close();
      return got;
    };
    expect(await echo('one')).toBe('a:one:/ws?token=t');
    expect(await echo('two')).toBe('b:two:/ws?token=t');
  });
});
