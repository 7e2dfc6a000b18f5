import { sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import { route, type Route } from '../route.js';
import { openApiDocument } from '../openapi.js';

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

export function operationRoutes({ db, workflows, metrics }: AppDeps, allRoutes: () => readonly Route[]) {
  return [
    route({
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      tag: 'operations',
      access: 'public',
      responses: { 200: 'Up' },
      async handler(ctx) {
        ctx.body = { status: 'ok' };
      },
    }),
    route({
      method: 'get',
      path: '/readyz',
      summary: 'Postgres and Temporal are reachable',
      tag: 'operations',
      access: 'public',
      responses: { 200: 'Ready', 503: 'A dependency does not answer' },
      async handler(ctx) {
        const [postgres, temporalServer] = await Promise.allSettled([
          withTimeout(db.execute(sql`SELECT 1`), 2000),
          workflows.ping(2000),
        ]);
        const checks = {
          postgres: postgres.status === 'fulfilled' ? 'ok' : String(postgres.reason),
          temporal: temporalServer.status === 'fulfilled' ? 'ok' : String(temporalServer.reason),
        };
        const down = (['postgres', 'temporal'] as const).filter((name) => checks[name] !== 'ok');
        if (down.length === 0) {
          ctx.body = { status: 'ready', checks };
          return;
        }
        const names = { postgres: 'Postgres', temporal: 'Temporal' };
        ctx.status = 503;
        ctx.set('Retry-After', '1');
        ctx.body = { error: 'not_ready', message: `${down.map((name) => names[name]).join(' and ')} ${down.length > 1 ? 'do' : 'does'} not answer`, details: { ...checks, down } };
      },
    }),
    route({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      tag: 'operations',
      access: 'public',
      responses: { 200: 'Metrics in the Prometheus text format' },
      async handler(ctx) {
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
      },
    }),
    route({
      method: 'get',
      path: '/openapi.json',
      summary: 'This document',
      tag: 'operations',
      access: 'public',
      responses: { 200: 'OpenAPI 3.1' },
      async handler(ctx) {
        ctx.body = openApiDocument(allRoutes(), '1.0.0');
      },
    }),
  ];
}
