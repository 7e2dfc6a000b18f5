import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type postgresType from 'postgres';

/**
 * postgres.js 3.4.9 (the latest) with three fixes to src/connection.js, loaded from a patched copy of
 * its index.js and connection.js that import the package's other files where they are installed
 * (so `PostgresError` and friends stay the very same classes as in `import 'postgres'`).
 *
 * 1. A query issued on a connection whose socket has closed (the `rollback` that `sql.begin` sends
 *    after its connection dropped mid-transaction, or the next query of a transaction callback)
 *    buffers its bytes and schedules `setImmediate(nextWrite)`, which calls `socket.write` on the
 *    `null` socket: an uncaught TypeError from a timer, no caller can catch it, the process dies
 *    (porsager/postgres#1154, #1208; fixes proposed in #1168, #1209, not released). Patched: such a
 *    write rejects the connection's queries with CONNECTION_CLOSED instead.
 * 2. `closed()` and `terminate()` cancel the pending flush but leave `nextWriteTimer` set and the
 *    buffered bytes in `chunk`: the connection never flushes a small write again (no new flush is
 *    scheduled while the stale timer is "set"), so after the restart its startup message waits for
 *    connect_timeout, again and again. Patched: both drop the bytes meant for the dead socket.
 * 3. A fresh connection's array-type lookup is not awaited by anyone: a restart during it is an
 *    unhandled rejection, which ends the process. Patched: the lookup's failure is left to closed().
 *
 * If an upgrade changes the patched lines, loading fails loudly: check whether upstream fixed it.
 */
const require = createRequire(import.meta.url);
// The package exports only its entry points; its CommonJS entry tells where the package is.
const packageRoot = path.resolve(path.dirname(require.resolve('postgres')), '..', '..');
const sourceDir = path.join(packageRoot, 'src');

interface Patch {
  find: string;
  replace: string;
}

const connectionPatches: Patch[] = [
  {
    find: 'function write(x, fn) {\n',
    replace: `function write(x, fn) {
    // boxoffice patch: nothing to write to; fail the queries instead of throwing from a timer.
    if (!socket)
      return writeOnClosedSocket()
`,
  },
  {
    find: 'function nextWrite(fn) {\n',
    replace: `function writeOnClosedSocket() {
    chunk = nextWriteTimer = null
    const err = Errors.connection('CONNECTION_CLOSED', options)
    query && queryError(query, err)
    query = null
    while (sent.length)
      queryError(sent.shift(), err)
    return true
  }

  function nextWrite(fn) {
    if (!socket)
      return writeOnClosedSocket()
`,
  },
  {
    // terminate(): the only line that clears the timer before `if (socket)`.
    find: '    clearImmediate(nextWriteTimer)\n    if (socket) {\n',
    replace: '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {\n',
  },
  {
    // closed()
    find: '    incomings = null\n    clearImmediate(nextWriteTimer)\n',
    replace: '    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n',
  },
  {
    // 3. The array-type lookup of a fresh connection is a promise nobody awaits: the connection
    //    closing under it is an unhandled rejection (which ends a Node process). Its queries are
    //    failed by closed() anyway, and the next connection looks the types up again.
    find: '        return fetchArrayTypes()\n',
    replace: '        return fetchArrayTypes().catch(() => {})\n',
  },
];

function applyPatches(source: string, patches: Patch[], file: string): string {
  let patched = source;
  for (const { find, replace } of patches) {
    const at = patched.indexOf(find);
    if (at < 0 || patched.indexOf(find, at + 1) >= 0) {
      throw new Error(`db/postgres-driver.ts: postgres.js ${file} no longer has exactly one ${JSON.stringify(find.trim())}; check the patch against the installed version`);
    }
    patched = patched.slice(0, at) + replace + patched.slice(at + find.length);
  }
  return patched;
}

/** `./x.js` imports point at the installed files, except the ones given (patched copies). */
function relink(source: string, local: ReadonlySet<string>): string {
  return source.replace(/from '\.\/([\w-]+\.js)'/g, (_match, file: string) => (local.has(file) ? `from './${file}'` : `from '${pathToFileURL(path.join(sourceDir, file)).href}'`));
}

function writeOnce(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  // Several processes may start at once: write beside, then rename into place.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function patchedEntry(): string {
  const index = relink(readFileSync(path.join(sourceDir, 'index.js'), 'utf8'), new Set(['connection.js']));
  const connection = relink(applyPatches(readFileSync(path.join(sourceDir, 'connection.js'), 'utf8'), connectionPatches, 'src/connection.js'), new Set());
  const digest = createHash('sha256').update(sourceDir).update(index).update(connection).digest('hex').slice(0, 16);
  // .mjs: test runners load it natively, as they load the package itself.
  const dir = path.join(os.tmpdir(), `boxoffice-postgres-${digest}`);
  mkdirSync(dir, { recursive: true });
  writeOnce(path.join(dir, 'index.mjs'), index.replace("from './connection.js'", "from './connection.mjs'"));
  writeOnce(path.join(dir, 'connection.mjs'), connection);
  return path.join(dir, 'index.mjs');
}

const loaded = (await import(pathToFileURL(patchedEntry()).href)) as { default: typeof postgresType };

/** postgres.js, patched as above: use it wherever a long-running process opens connections. */
const postgres: typeof postgresType = loaded.default;
export default postgres;
