// Bundles the seat-picker page, web/src/main.ts, into dist/web/app.js (served by api/web.ts next
// to web/public). Run by `npm run build` (and so by `npm start` and the Dockerfile) and by
// test/browser.test.ts before it opens the page. esbuild is the one tsx already runs on.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The repository: the nearest folder up from here with a package.json. */
function repositoryRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above scripts/build-web.ts');
    dir = parent;
  }
  return dir;
}

export const PAGE_ENTRY = 'web/src/main.ts';
export const PAGE_BUNDLE = 'dist/web/app.js';

/** What the bundle may contain: the page and the pure domain helpers, never the API's code. */
const allowedInputs = /^(web\/src|lib)\//;

/** Builds dist/web/app.js (and its source map); throws when the page pulls in code it must not. */
export async function buildPage(): Promise<string> {
  const root = repositoryRoot();
  const result = await build({
    absWorkingDir: root,
    entryPoints: [PAGE_ENTRY],
    outfile: PAGE_BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  const strays = Object.keys(result.metafile.inputs).filter((input) => !allowedInputs.test(input));
  if (strays.length > 0) throw new Error(`The page bundle must hold web/src and lib only (import type from api/), but it pulled in: ${strays.join(', ')}`);
  return path.join(root, PAGE_BUNDLE);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bundle = await buildPage();
  console.log(`Built the page: ${path.relative(process.cwd(), bundle)}`);
}
