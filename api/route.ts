import type Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { type z } from 'zod';
import type { UserRole } from '../db/schema/identity.js';
import type { AuthUser } from './auth.js';
import { Forbidden, Unauthorized, ValidationFailed } from './errors.js';

export interface AppState {
  user?: AuthUser;
  /** The route template, for metrics ("/api/events/:id", not every id). */
  routePath?: string;
  /** When a queue join reached this process, before it waited its turn (api/join-lane.ts). */
  arrivedAt?: Date;
}
export type AppContext = ParameterizedContext<AppState>;

type Schema = z.ZodType;
type Infer<S> = S extends Schema ? z.infer<S> : undefined;

/** Who may call a route: anyone, any logged-in user, or the listed roles. */
export type Access = 'public' | 'user' | readonly UserRole[];

export interface RouteInput<B, P, Q, H, A extends Access> {
  body: Infer<B>;
  params: Infer<P>;
  query: Infer<Q>;
  /** The request headers the route's `headers` schema names, validated. */
  headers: Infer<H>;
  user: A extends 'public' ? AuthUser | undefined : AuthUser;
}

/**
 * A response: its description, and the contract's schema of its body (api/contract/) for the OpenAPI
 * document, under its media type (JSON unless it says otherwise, like the sales CSV).
 */
export type ResponseSpec = string | { description: string; body: z.ZodType; mediaType?: string };

export interface Route<B = unknown, P = unknown, Q = unknown, H = unknown, A extends Access = Access> {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  access: A;
  body?: B;
  params?: P;
  query?: Q;
  /** Header names in lower case; other headers pass untouched. */
  headers?: H;
  /** Status code → description (and body schema), for the OpenAPI document. */
  responses: Record<number, ResponseSpec>;
  handler(ctx: AppContext, input: RouteInput<B, P, Q, H, A>): Promise<void>;
}

/** Declares a route; keeps the generic types so the handler's input is typed from its schemas. */
export function route<B extends Schema | undefined, P extends Schema | undefined, Q extends Schema | undefined, H extends Schema | undefined, A extends Access>(
  spec: Route<B, P, Q, H, A>,
): Route {
  return spec as unknown as Route;
}

function parse<S extends Schema>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: [where, ...issue.path].join('.'), message: issue.message }));
  const first = issues[0];
  throw new ValidationFailed(first ? `${first.path}: ${first.message}` : `Invalid ${where}`, { issues });
}

export function checkAccess(access: Access, user: AuthUser | undefined): void {
  if (access === 'public') return;
  if (!user) throw new Unauthorized('This endpoint needs a bearer token: log in first');
  if (access !== 'user' && !access.includes(user.role)) {
    throw new Forbidden(`This endpoint is for ${access.join(' or ')} accounts`);
  }
}

/** Mounts routes: access check → validation → handler, in that order. */
export function mount(router: Router<AppState>, routes: readonly Route[]): void {
  for (const spec of routes) {
    router[spec.method](spec.path, async (ctx) => {
      ctx.state.routePath = spec.path;
      checkAccess(spec.access, ctx.state.user);
      const input = {
        body: spec.body ? parse(spec.body as Schema, ctx.request.body ?? {}, 'body') : undefined,
        params: spec.params ? parse(spec.params as Schema, ctx.params, 'params') : undefined,
        query: spec.query ? parse(spec.query as Schema, ctx.query, 'query') : undefined,
        headers: spec.headers ? parse(spec.headers as Schema, ctx.headers, 'headers') : undefined,
        user: ctx.state.user,
      };
      await spec.handler(ctx, input as RouteInput<unknown, unknown, unknown, unknown, Access>);
    });
  }
}
