import Router from '@koa/router';
import { joinLane } from './join-lane.js';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import { AccountCheck } from './accounts.js';
import { PasswordHasher } from './auth.js';
import type { AppDeps, RequestGuards } from './deps.js';
import { createRateLimits } from './rate-limits.js';
import { ServiceUnavailable, unavailableError } from './dependency-errors.js';
import { ApiError, DomainError, MalformedJson, MethodNotAllowed, NotFound, PayloadTooLarge, RateLimited } from './errors.js';

/** What a 503 asks the client to wait: a restart of Postgres or Temporal takes seconds. */
const RETRY_AFTER_SECONDS = 2;
import { mount, type AppState, type Route } from './route.js';
import { clientConfigRoutes } from './routes/client-config.js';
import { EventCache } from './event-cache.js';
import { eventRoutes } from './routes/events.js';
import { identityRoutes } from './routes/identity.js';
import { notificationRoutes } from './routes/notifications.js';
import { waitlistRoutes } from './routes/waitlist.js';
import { queueRoutes } from './routes/queue/index.js';
import { operationRoutes } from './routes/operations.js';
import { reservationRoutes } from './routes/reservations/index.js';
import { salesRoutes } from './routes/sales/index.js';
import { ticketRoutes } from './routes/tickets.js';
import { securityHeaders, serveWeb } from './web.js';

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Maps every thrown error to the contract's `{ error, message, details? }` shape. */
function errorHandler(deps: AppDeps): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new NotFound('not_found', `No route for ${ctx.method} ${ctx.path}`);
    } catch (caught) {
      let error: unknown = caught;
      const httpish = caught as HttpishError;
      const status = httpish.status ?? httpish.statusCode;
      if (!(error instanceof ApiError) && status === 405) error = new MethodNotAllowed(`${ctx.method} is not allowed on ${ctx.path}`);
      error = unavailableError(error, RETRY_AFTER_SECONDS) ?? error;
      const retryAfter = error instanceof ServiceUnavailable || error instanceof DomainError || error instanceof RateLimited ? error.retryAfterSeconds : undefined;
      if (retryAfter !== undefined) ctx.set('Retry-After', String(retryAfter));
      if (error instanceof ApiError) {
        ctx.status = error.status;
        ctx.body = { error: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
      } else {
        deps.logger.error({ err: caught, method: ctx.method, path: ctx.path }, 'unhandled error');
        ctx.status = 500;
        ctx.body = { error: 'internal_error', message: 'Something went wrong on our side; it has been logged' };
      }
    }
  };
}

/**
 * Reads the bearer token when there is one, and the account it names as the database has it now
 * (role, existence; api/accounts.ts); routes decide whether they need it.
 */
function authenticate(deps: AppDeps, accounts: AccountCheck): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    const header = ctx.get('Authorization');
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      ctx.state.user = await accounts.current(await deps.tokens.verify(match?.[1] ?? ''));
    }
    await next();
  };
}

function recordMetrics(deps: AppDeps): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    const stop = deps.metrics.httpDuration.startTimer();
    try {
      await next();
    } finally {
      stop({ method: ctx.method, route: ctx.state.routePath ?? 'unmatched', status: String(ctx.status) });
    }
  };
}

/**
 * What reaches Koa's 'error' event got past the error middleware: mostly a client that broke its
 * own connection (a malformed chunked body, a reset). Into the one logger, not Koa's console.error.
 */
function logStrayError(deps: AppDeps): (error: Error & { code?: unknown }, ctx?: Koa.Context) => void {
  return (error, ctx) => {
    const byClient = typeof error.code === 'string' && (error.code.startsWith('HPE_') || ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes(error.code));
    const fields = { err: error, method: ctx?.method, path: ctx?.path };
    if (byClient) deps.logger.debug(fields, 'the client broke the connection');
    else deps.logger.error(fields, 'error outside the error middleware');
  };
}

/** Builds the Koa app without listening, so tests can run it in-process on port 0. */
export function createApp(deps: AppDeps): { app: Koa<AppState>; routes: readonly Route[]; events: EventCache } {
  const app = new Koa<AppState>();
  // ctx.ip (what the per-address limits count) comes from X-Forwarded-For only behind proxies we
  // were told about, and then from the entries those proxies appended, not from what a client wrote.
  app.proxy = deps.config.TRUST_PROXY_HOPS > 0;
  app.maxIpsCount = deps.config.TRUST_PROXY_HOPS;
  app.on('error', logStrayError(deps));
  const guards: RequestGuards = {
    limits: createRateLimits(deps.db, deps.config, deps.logger),
    passwords: new PasswordHasher(deps.config.PASSWORD_HASH_CONCURRENCY, deps.config.PASSWORD_HASH_QUEUE),
    events: new EventCache(deps.db, deps.config.EVENT_CACHE_MS),
  };
  const accounts = new AccountCheck(deps.db, deps.config.AUTH_ACCOUNT_CACHE_MS);
  const routes: Route[] = [];
  routes.push(...identityRoutes(deps, guards), ...eventRoutes(deps, guards), ...reservationRoutes(deps, guards), ...ticketRoutes(deps), ...notificationRoutes(deps), ...waitlistRoutes(deps), ...queueRoutes(deps), ...salesRoutes(deps), ...clientConfigRoutes(deps), ...operationRoutes(deps, () => routes));

  const router = new Router<AppState>();
  mount(router, routes);

  app.use(recordMetrics(deps));
  app.use(securityHeaders());
  app.use(errorHandler(deps));
  app.use(joinLane(deps.config.QUEUE_JOIN_CONCURRENCY));
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: deps.config.MAX_BODY_BYTES,
      onError: (error) => {
        if ((error as HttpishError).status === 413) throw new PayloadTooLarge(`The body is larger than ${deps.config.MAX_BODY_BYTES} bytes`);
        throw new MalformedJson(`The body is not valid JSON: ${error.message}`);
      },
    }),
  );
  app.use(authenticate(deps, accounts));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  app.use(serveWeb());
  return { app, routes, events: guards.events };
}
