import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { book, type BookingPlan } from '../../loadtest/booking.js';
import { ApiClient } from '../../loadtest/http-client.js';
import { Ledger, type RunEvent } from '../../loadtest/ledger.js';
import { resolveOptions } from '../../loadtest/options.js';
import { Random } from '../../loadtest/random.js';
import { RunContext } from '../../loadtest/run-context.js';

/** A stand-in API in this process (no service): answers POST /api/reservations as `answer` says. */
type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;
const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
async function serve(handler: Handler): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const event: RunEvent = { id: '00000000-0000-4000-8000-000000000001', seating: { type: 'reserved', rows: 1, seatsPerRow: 4 }, capacity: 4, seatIds: ['A-1', 'A-2', 'A-3', 'A-4'], ephemeral: false, createdAt: 0, initiallySold: 0, knownTaken: [] };
const confirmed = { id: '00000000-0000-4000-8000-00000000000a', status: 'confirmed', eventId: event.id, seats: ['A-1'], amountCents: 100, currency: 'EUR', refundedCents: 0, tickets: [], workflowId: 'reservation-a' };

function context(baseUrls: string[], timeouts: { requestTimeoutMs: number; pendingTimeoutMs: number }) {
  const options = resolveOptions({ baseUrl: baseUrls[0] ?? '', progress: 'off', ...timeouts });
  const api = new ApiClient(baseUrls, { maxSockets: 4, timeoutMs: timeouts.requestTimeoutMs });
  const customer = { id: 'c', token: 't', email: 'c@test', index: 0 };
  return { run: new RunContext(options, api, new Random(1), new Ledger([{ ...event }]), [customer], customer), customer, api };
}
const plan = (customer: BookingPlan['customer'], idempotencyKey?: string): BookingPlan => ({ event, customer, seatIds: ['A-1'], quantity: 1, paymentToken: 'tok_visa', holdThenPay: false, respondAsync: false, ...(idempotencyKey ? { idempotencyKey } : {}) });

describe('the load script as a careful client', () => {
  it("asks again after 503s with the same Idempotency-Key, honouring Retry-After", async () => {
    const keys: string[] = [];
    const url = await serve((request, response) => {
      keys.push(String(request.headers['idempotency-key']));
      request.resume();
      if (keys.length <= 2) response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0.3' }).end(JSON.stringify({ error: 'service_unavailable', message: 'Temporal does not answer' }));
      else response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(confirmed));
    });
    const { run, customer, api } = context([url], { requestTimeoutMs: 2000, pendingTimeoutMs: 2000 });
    const started = Date.now();
    const { record } = await book(run, plan(customer, 'key-1'));
    api.close();
    expect(keys).toEqual(['key-1', 'key-1', 'key-1']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(record).toMatchObject({ outcome: 'confirmed', retries: 2, httpCalls: 3 });
    expect(record.unresolved).toBeUndefined();
    expect(run.ledger.confirmedReservations()).toBe(1);
  });

  it('never repeats an unkeyed booking', async () => {
    let requests = 0;
    const url = await serve((request, response) => {
      requests++;
      request.resume();
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' }).end(JSON.stringify({ error: 'service_unavailable', message: 'down' }));
    });
    const { run, customer, api } = context([url], { requestTimeoutMs: 1000, pendingTimeoutMs: 1000 });
    const { record } = await book(run, plan(customer));
    api.close();
    expect(requests).toBe(1);
    expect(record).toMatchObject({ outcome: 'failed', status: 503, errorCode: 'service_unavailable' });
  });

  it('ends within its own deadline when the API never answers, and leaves the booking to settle', async () => {
    const url = await serve(() => {
      // Accepts the request and says nothing, as an API whose Temporal server is gone used to.
    });
    const { run, customer, api } = context([url], { requestTimeoutMs: 400, pendingTimeoutMs: 600 });
    const started = Date.now();
    const { record } = await book(run, plan(customer, 'key-2'));
    api.close();
    expect(Date.now() - started).toBeLessThan(1000 + 300);
    expect(record).toMatchObject({ outcome: 'failed', status: 0, errorCode: 'client_timeout', unresolved: true });
    expect(run.unresolved.map((open) => open.record)).toEqual([record]);
  });

  it('fails over to the other API when one refuses connections', async () => {
    const up = await serve((request, response) => {
      request.resume();
      response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(confirmed));
    });
    const down = await serve(() => {});
    const downServer = servers.pop();
    downServer?.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { run, customer, api } = context([down, up], { requestTimeoutMs: 1000, pendingTimeoutMs: 1000 });
    for (let i = 0; i < 4; i++) expect((await book(run, plan(customer, `key-f${i}`))).record.outcome).toBe('confirmed');
    api.close();
  });
});
