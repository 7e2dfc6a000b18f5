import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Koa from 'koa';
import type { AppState } from './route.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

function publicDir(): string {
  // Sources run from the repository (tsx) and the compiled API from dist/api: both find web/public.
  for (const candidate of [path.join(here, '..', 'web', 'public'), path.join(here, '..', '..', 'web', 'public')]) {
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`web/public not found from ${here}`);
}

/** Serves the seat-picker page and its assets for GET requests no route answered. */
export function serveWeb(): Koa.Middleware<AppState> {
  const root = publicDir();
  return async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path.startsWith('/api/')) return next();
    const relative = ctx.path === '/' ? 'index.html' : ctx.path.slice(1);
    const file = path.join(root, path.normalize(relative));
    const type = types[path.extname(file)];
    if (!file.startsWith(root + path.sep) || !type || !existsSync(file)) return next();
    ctx.type = type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = await readFile(file);
  };
}
