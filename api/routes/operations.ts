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
        const ready = checks.postgres === 'ok' && checks.temporal === 'ok';
        ctx.status = ready ? 200 : 503;
        ctx.body = ready ? { status: 'ready', checks } : { error: 'not_ready', message: 'A dependency does not answer', details: checks };
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
