import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Koa from 'koa';
import type { AppState } from './route.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Where the page comes from: its static files (web/public) and its script, bundled from web/src by
 * scripts/build-web.ts into dist/web (`npm run build`). Sources run from the repository (tsx, here =
 * api/) and the compiled API from dist/api: both find the repository root, and so both folders.
 */
function pageRoots(): string[] {
  for (const root of [path.join(here, '..'), path.join(here, '..', '..')]) {
    const publicDir = path.join(root, 'web', 'public');
    if (existsSync(path.join(publicDir, 'index.html'))) return [publicDir, path.join(root, 'dist', 'web')];
  }
  throw new Error(`web/public not found from ${here}`);
}

/**
 * The page's Content-Security-Policy: its script, stylesheet, API calls and seat-feed socket are
 * all same-origin ('self' covers ws:/wss: to the same host), nothing inline (the bundle sets styles
 * through the CSSOM only), the data: favicon, and no framing (clickjacking on the Book button).
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers on every answer, the page's and the API's alike (a JSON body is never sniffed as HTML). */
export function securityHeaders(): Koa.Middleware<AppState> {
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', contentSecurityPolicy);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    // For browsers that predate frame-ancestors.
    ctx.set('X-Frame-Options', 'DENY');
    await next();
  };
}

/** Serves the seat-picker page and its assets for GET requests no route answered. */
export function serveWeb(): Koa.Middleware<AppState> {
  const roots = pageRoots();
  return async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path.startsWith('/api/')) return next();
    const relative = path.normalize(ctx.path === '/' ? 'index.html' : ctx.path.slice(1));
    const type = types[path.extname(relative)];
    if (!type) return next();
    // The bundle is looked up per request: a page built after the API started is served (until
    // then /app.js is a 404: run `npm run build`).
    const file = roots
      .map((root) => ({ root, file: path.join(root, relative) }))
      .find(({ root, file }) => file.startsWith(root + path.sep) && existsSync(file))?.file;
    if (!file) return next();
    ctx.type = type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = await readFile(file);
  };
}
