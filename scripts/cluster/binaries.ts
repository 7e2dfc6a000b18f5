import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The full Temporal server, its sql schema tool and the standalone Web UI, built once from Go
 * modules into a cache outside the repository, as scripts/temporal-cli.ts does for the CLI. Both
 * the server and the UI build a binary named `server`, so each gets a GOBIN of its own.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The UI version the CLI v1.5.1 embeds. */
export const TEMPORAL_UI_VERSION = 'v2.42.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';

export class ClusterBinariesUnavailableError extends Error {
  override name = 'ClusterBinariesUnavailableError';
}

export interface ClusterBinaries {
  /** `server --root … --config … --env … start` */
  server: string;
  /** `sql --pl postgres12 … create | setup-schema | update-schema` */
  sql: string;
  /** The Web UI server: `server --root … --config … --env … start` */
  ui: string;
}

function cacheBase(): string {
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'boxoffice');
}

export function findGo(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' });
  const location = found.stdout.trim();
  if (found.status === 0 && location) return location;
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

function goInstall(gobin: string, modules: string[], expect: string[], what: string, log: (line: string) => void): void {
  if (expect.every((binary) => existsSync(path.join(gobin, binary)))) return;
  const go = findGo();
  if (!go) {
    throw new ClusterBinariesUnavailableError(`${what} is not built and Go is not installed to build it.\nInstall Go (https://go.dev/dl) and run: GOBIN=${gobin} go install ${modules.join(' ')}`);
  }
  log(`Building ${what} from Go modules into ${gobin} (once; takes a few minutes)...`);
  mkdirSync(gobin, { recursive: true });
  const started = Date.now();
  const build = spawnSync(go, ['install', ...modules], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
  });
  const missing = expect.filter((binary) => !existsSync(path.join(gobin, binary)));
  if (build.status !== 0 || missing.length > 0) {
    throw new ClusterBinariesUnavailableError(`go install ${modules.join(' ')} failed (exit ${build.status}). Check network access to the Go module proxy.`);
  }
  log(`${what} built in ${Math.round((Date.now() - started) / 1000)} s.`);
}

/** The cached binaries, built first where missing. */
export function findClusterBinaries(log: (line: string) => void = console.log): ClusterBinaries {
  const serverBin = path.join(cacheBase(), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const uiBin = path.join(cacheBase(), `temporal-ui-server-${TEMPORAL_UI_VERSION}`);
  goInstall(
    serverBin,
    [`${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`],
    ['server', 'sql'],
    `the Temporal server ${TEMPORAL_SERVER_VERSION} and its sql tool`,
    log,
  );
  goInstall(uiBin, [`github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_VERSION}`], ['server'], `the Temporal Web UI ${TEMPORAL_UI_VERSION}`, log);
  return { server: path.join(serverBin, 'server'), sql: path.join(serverBin, 'sql'), ui: path.join(uiBin, 'server') };
}

/**
 * A module's folder in the Go module cache (the server's config templates live in its `config/`).
 * `go mod download` answers from the cache, offline, once the build above has filled it.
 */
export function goModuleDir(module: string = TEMPORAL_SERVER_MODULE, version: string = TEMPORAL_SERVER_VERSION): string {
  const go = findGo();
  if (!go) throw new ClusterBinariesUnavailableError(`Go is needed to find the module ${module}@${version}`);
  const found = spawnSync(go, ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', cwd: os.tmpdir() });
  const dir = found.status === 0 ? (JSON.parse(found.stdout) as { Dir?: unknown }).Dir : undefined;
  if (typeof dir !== 'string' || !existsSync(dir)) throw new ClusterBinariesUnavailableError(`go mod download ${module}@${version} failed: ${found.stderr.trim()}`);
  return dir;
}
