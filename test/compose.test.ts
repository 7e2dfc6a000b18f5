import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { parse } from 'yaml';
import { loadConfig, serviceDatabaseUrl, serviceRoles, type Config, type ServiceName } from '../lib/config.js';
import { createPrivatePostgres } from '../scripts/private-postgres.js';
import { searchAttributes } from '../scripts/temporal-cli.js';

/**
 * No Docker engine runs on the development machines (and the CLI here has no compose plugin), so
 * docker-compose.yml and the Dockerfile are checked statically: the file is parsed as Compose
 * would (YAML merge keys, then ${VAR} interpolation), and each app process's environment goes
 * through the real lib/config.ts validation.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

type DependsOn = string[] | Record<string, { condition?: string }>;
type Port = string | number | { target: number; published?: string | number };
interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: DependsOn;
  ports?: Port[];
  healthcheck?: { test?: string | string[] };
  restart?: string;
  profiles?: string[];
}
interface ComposeFile {
  version?: unknown;
  services: Record<string, Service>;
}

/** Compose's variable substitution: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}. */
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|)/g, (_whole, dollar, name, colon, operator, argument, bare, offset: number) => {
    if (dollar) return '$';
    if (bare) return env[bare] ?? '';
    // Compose rejects any other `$`: a shell `$` meant for the container must be written `$$`.
    if (!name) throw new Error(`invalid interpolation near "${text.slice(offset, offset + 20)}"`);
    const value = env[name];
    const missing = colon ? !value : value === undefined;
    if (operator === '-') return missing ? (argument ?? '') : (value ?? '');
    if (operator === '?' && missing) throw new Error(`${name}: ${argument}`);
    return value ?? '';
  });
}

function interpolateAll<T>(node: T, env: Record<string, string | undefined>): T {
  if (typeof node === 'string') return interpolate(node, env) as T;
  if (Array.isArray(node)) return node.map((item: unknown) => interpolateAll(item, env)) as T;
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateAll(value, env)])) as T;
  return node;
}

const source = read('docker-compose.yml');
const raw = parse(source, { merge: true }) as ComposeFile;
/** Every variable the file requires: the passwords, the JWT secret and the explicit gateway choice. */
const passwordVariables = ['POSTGRES_PASSWORD', 'TEMPORAL_DB_PASSWORD', 'API_DB_PASSWORD', 'BOOKING_DB_PASSWORD', 'PAYMENTS_DB_PASSWORD', 'TICKETING_DB_PASSWORD', 'PROJECTION_DB_PASSWORD', 'COORDINATOR_DB_PASSWORD', 'NOTIFY_DB_PASSWORD'];
const hostEnv: Record<string, string> = {
  JWT_SECRET: 'a-real-secret-of-32-characters!!',
  PAYMENT_GATEWAY: 'simulated',
  ...Object.fromEntries(passwordVariables.map((name) => [name, `${name.toLowerCase().replaceAll('_', '-')}-value`])),
};
let interpolated: ComposeFile | undefined;
/** The file as Compose sees it; throws (failing each test) on an invalid or unset variable. */
const compose = (): ComposeFile => (interpolated ??= interpolateAll(raw, hostEnv));
const service = (name: string): Service => {
  const found = compose().services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};

const dependencies = (svc: Service): Record<string, string | undefined> =>
  Array.isArray(svc.depends_on) ? Object.fromEntries(svc.depends_on.map((name) => [name, undefined])) : Object.fromEntries(Object.entries(svc.depends_on ?? {}).map(([name, spec]) => [name, spec.condition]));

function environment(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

function publishedPorts(svc: Service): { published: number; target: number }[] {
  return (svc.ports ?? []).map((port) => {
    if (typeof port === 'object') return { published: Number(port.published), target: port.target };
    const parts = String(port).split(':');
    return { published: Number(parts.at(-2)), target: Number(parts.at(-1)) };
  });
}

const argv = (command: string | string[] | undefined): string[] => (Array.isArray(command) ? command : (command ?? '').split(/\s+/).filter(Boolean));

/** The long-running app processes and the lib/config.ts services each one connects as. */
const processes: Record<string, ServiceName[]> = { api: ['api'], worker: ['booking', 'payments', 'ticketing', 'coordinator', 'notify', 'api'], projection: ['projection'] };
const appServices = ['migrate', 'seed', 'db-roles', ...Object.keys(processes)];
const configServices = ['migrate', 'seed', ...Object.keys(processes)];

describe('docker-compose.yml', () => {
  it('is a Compose-spec file without the obsolete version key', () => {
    expect(raw.version).toBeUndefined();
    expect(Object.keys(compose().services)).toEqual(expect.arrayContaining(['postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'migrate', 'api', 'worker', 'projection']));
  });

  it('gives every service an image or a build', () => {
    for (const [name, svc] of Object.entries(compose().services)) expect(svc.image ?? svc.build, name).toBeTruthy();
  });

  it('only depends on services that exist, that start with a plain `up`, and that can meet the condition', () => {
    const services = compose().services;
    for (const [name, svc] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependencies(svc))) {
        const dependency = services[target];
        expect(dependency, `${name} depends on missing ${target}`).toBeDefined();
        if (!svc.profiles) expect(dependency?.profiles, `${name} depends on profiled ${target}`).toBeUndefined();
        if (condition === 'service_healthy') expect(dependency?.healthcheck, `${target} needs a healthcheck for ${name}`).toBeDefined();
        // A one-shot with a restart policy would run again after exiting, and never "complete".
        if (condition === 'service_completed_successfully') expect(['no', undefined], `${target} must be a one-shot`).toContain(dependency?.restart);
      }
    }
  });

  it('runs every app process from the one app build, each with a command that tsc compiles', () => {
    const build = JSON.stringify(service('api').build);
    for (const name of appServices) {
      const svc = service(name);
      expect(svc.build, name).toBeDefined();
      expect(JSON.stringify(svc.build), name).toBe(build);
      expect(svc.image, name).toBe(service('api').image);
      const [node, ...args] = argv(svc.command);
      expect(node, name).toBe('node');
      const script = args.find((arg) => arg.startsWith('dist/'));
      if (name === 'db-roles') continue; // inline script, checked below
      expect(script, name).toMatch(/^dist\/.+\.js$/);
      expect(existsSync(path.join(root, script!.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), `${script} has no source`).toBe(true);
    }
    expect(argv(service('migrate').command)).toEqual(['node', 'dist/scripts/migrate.js']);
    expect(argv(service('api').command)).toEqual(['node', 'dist/api/main.js']);
    expect(argv(service('worker').command)).toEqual(['node', 'dist/worker/main.js']);
    expect(argv(service('projection').command)).toEqual(['node', 'dist/worker/projection.js']);
    expect(service('seed').profiles).toEqual(['seed']);
  });

  it('refuses to start without JWT_SECRET instead of falling back to the development secret', () => {
    const { JWT_SECRET: _secret, ...withoutSecret } = hostEnv;
    expect(() => interpolateAll(raw, withoutSecret)).toThrow(/JWT_SECRET/);
    for (const name of configServices) expect(environment(service(name)).JWT_SECRET, name).toBe(hostEnv.JWT_SECRET);
  });

  const configs = Object.fromEntries(configServices.map((name) => [name, () => loadConfig(environment(service(name)))])) as Record<string, () => Config>;

  it('gives every app process an environment that lib/config.ts accepts in production', () => {
    for (const name of configServices) {
      const cfg = configs[name]!();
      expect(cfg.NODE_ENV, name).toBe('production');
      expect(cfg.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
      expect(cfg.TEMPORAL_NAMESPACE, name).toBe(environment(service('temporal')).DEFAULT_NAMESPACE);
    }
    // The API starts workflows on the queue the worker polls.
    expect(configs.api!().TASK_QUEUE).toBe(configs.worker!().TASK_QUEUE);
    expect(environment(service('worker')).TASK_QUEUE).toBeTruthy();
    expect(environment(service('api')).TASK_QUEUE).toBeTruthy();
  });

  it('connects migrate and seed as the owner, with the password Postgres was initialised with', () => {
    const password = environment(service('postgres')).POSTGRES_PASSWORD;
    expect(password).toBeTruthy();
    for (const name of ['migrate', 'seed']) {
      const url = new URL(configs[name]!().DATABASE_URL);
      expect({ host: url.hostname, user: url.username, password: decodeURIComponent(url.password), db: url.pathname }, name).toEqual({
        host: 'postgres',
        user: environment(service('postgres')).POSTGRES_USER,
        password,
        db: `/${environment(service('postgres')).POSTGRES_DB}`,
      });
    }
    // Temporal does not get the owner's password: it has a role of its own.
    expect(environment(service('temporal')).POSTGRES_PWD).not.toBe(password);
  });

  it('requires every password and the gateway choice: no silent defaults', () => {
    for (const name of [...passwordVariables, 'PAYMENT_GATEWAY']) {
      const { [name]: _omitted, ...without } = hostEnv;
      expect(() => interpolateAll(raw, without), name).toThrow(new RegExp(name));
      // An empty value is as good as none (`:?`).
      expect(() => interpolateAll(raw, { ...hostEnv, [name]: '' }), name).toThrow(new RegExp(name));
    }
    // No `${...PASSWORD:-default}` or `${...PASSWORD-default}` anywhere in the file.
    expect(source).not.toMatch(/\$\{[A-Z_]*PASSWORD:?-/);
    expect(source).not.toMatch(/\$\{PAYMENT_GATEWAY:?-/);
    // Each role's URL carries that role's own password.
    for (const name of ['api', 'worker', 'projection']) {
      for (const [key, value] of Object.entries(environment(service(name)))) {
        if (!key.endsWith('_DATABASE_URL')) continue;
        const variable = `${key.replace('_DATABASE_URL', '')}_DB_PASSWORD`;
        expect(decodeURIComponent(new URL(value).password), key).toBe(hostEnv[variable]);
      }
    }
  });

  it('refuses the simulated gateway in production unless the file chooses it explicitly', () => {
    for (const name of configServices) {
      const env = environment(service(name));
      expect(env.PAYMENT_GATEWAY, name).toBe('simulated');
      const { PAYMENT_GATEWAY: _gateway, ...withoutGateway } = env;
      expect(() => loadConfig(withoutGateway), name).toThrow(/PAYMENT_GATEWAY/);
    }
  });

  it('runs Temporal as its own role, which owns its two databases and is no superuser', () => {
    const temporal = environment(service('temporal'));
    expect(temporal.POSTGRES_USER).toBe('temporal');
    expect(temporal.POSTGRES_USER).not.toBe(environment(service('postgres')).POSTGRES_USER);
    expect(temporal.POSTGRES_PWD).toBe(hostEnv.TEMPORAL_DB_PASSWORD);
    expect(temporal).toMatchObject({ DBNAME: 'temporal', VISIBILITY_DBNAME: 'temporal_visibility', SKIP_DB_CREATE: 'true' });
    expect(dependencies(service('temporal'))).toMatchObject({ 'temporal-db': 'service_completed_successfully' });
    const setup = service('temporal-db');
    expect(setup.restart).toBe('no');
    expect(environment(setup)).toMatchObject({ PGUSER: 'postgres', PGPASSWORD: hostEnv.POSTGRES_PASSWORD, TEMPORAL_DB_PASSWORD: hostEnv.TEMPORAL_DB_PASSWORD });
    expect(argv(setup.entrypoint)).toEqual(['/bin/sh', '-ec']);
  });

  it("creates Temporal's role and databases idempotently on a real Postgres: owner temporal, no superuser, closed to PUBLIC", async () => {
    const script = argv(service('temporal-db').command).at(-1) ?? '';
    const postgresServer = createPrivatePostgres({ port: 55000 + Math.floor(Math.random() * 500) });
    const sql = postgres(postgresServer.url, { max: 1, onnotice: () => {} });
    try {
      const env = { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(postgresServer.port), PGUSER: 'postgres', PGDATABASE: 'postgres', TEMPORAL_DB_PASSWORD: hostEnv.TEMPORAL_DB_PASSWORD };
      for (const run of [1, 2]) {
        const result = spawnSync('/bin/sh', ['-ec', script], { env, encoding: 'utf8' });
        expect(result.stderr, `run ${run}`).toBe('');
        expect(result.status, `run ${run}`).toBe(0);
      }
      const [role] = await sql<{ super: boolean; createdb: boolean; createrole: boolean; login: boolean; password: string | null }[]>`
        SELECT rolsuper AS super, rolcreatedb AS createdb, rolcreaterole AS createrole, rolcanlogin AS login, rolpassword AS password FROM pg_authid WHERE rolname = 'temporal'`;
      expect(role).toMatchObject({ super: false, createdb: false, createrole: false, login: true });
      expect(role?.password).toMatch(/^SCRAM-SHA-256\$/);
      const databases = await sql<{ name: string; owner: string; publicConnect: boolean }[]>`
        SELECT datname AS name, pg_get_userbyid(datdba) AS owner, has_database_privilege('public', datname, 'CONNECT') AS "publicConnect"
        FROM pg_database WHERE datname LIKE 'temporal%' ORDER BY datname`;
      expect(databases).toEqual([
        { name: 'temporal', owner: 'temporal', publicConnect: false },
        { name: 'temporal_visibility', owner: 'temporal', publicConnect: false },
      ]);
    } finally {
      await sql.end({ timeout: 5 });
      postgresServer.remove();
    }
  }, 60_000);

  it('connects each long-running process as its own service roles only, never as the owner', () => {
    const urlVariable: Record<ServiceName, keyof Config> = {
      api: 'API_DATABASE_URL',
      booking: 'BOOKING_DATABASE_URL',
      payments: 'PAYMENTS_DATABASE_URL',
      ticketing: 'TICKETING_DATABASE_URL',
      projection: 'PROJECTION_DATABASE_URL',
      coordinator: 'COORDINATOR_DATABASE_URL',
      notify: 'NOTIFY_DATABASE_URL',
    };
    for (const [name, roles] of Object.entries(processes)) {
      const env = environment(service(name));
      expect(env.DATABASE_URL, `${name} must not get the owner URL`).toBeUndefined();
      const given = Object.keys(env).filter((key) => key.endsWith('_DATABASE_URL'));
      expect(given.sort(), name).toEqual(roles.map((role) => urlVariable[role]).sort());
      for (const role of roles) {
        const url = new URL(serviceDatabaseUrl(role, configs[name]!()));
        expect(url.hostname, `${name} as ${role}`).toBe('postgres');
        expect(url.username, `${name} as ${role}`).toBe(serviceRoles[role]);
        expect(url.password, `${name} as ${role} needs a password`).not.toBe('');
      }
    }
  });

  it('sets each service role password from the same URL the service connects with', () => {
    const rolesEnv = environment(service('db-roles'));
    expect(dependencies(service('db-roles'))).toMatchObject({ migrate: 'service_completed_successfully' });
    expect(rolesEnv.DATABASE_URL).toBe(environment(service('migrate')).DATABASE_URL);
    for (const name of Object.keys(processes)) {
      for (const [key, value] of Object.entries(environment(service(name)))) {
        if (key.endsWith('_DATABASE_URL')) expect(rolesEnv[key], `${key} of ${name}`).toBe(value);
      }
      expect(dependencies(service(name))[`db-roles`], name).toBe('service_completed_successfully');
    }
    const script = argv(service('db-roles').command).at(-1) ?? '';
    for (const role of Object.values(serviceRoles)) expect(script).toContain(`'${role}'`);
  });

  it('embeds a role-password script that Node can parse', () => {
    const [node, ...args] = argv(service('db-roles').command);
    expect(node).toBe('node');
    expect(args.slice(0, 2)).toEqual(['--input-type=module', '-e']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'boxoffice-compose-'));
    try {
      const file = path.join(dir, 'db-roles.mjs');
      writeFileSync(file, args[2] ?? '');
      const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts the API after migrations and a healthy Temporal, publishes port 3000 and probes /readyz', () => {
    const api = service('api');
    expect(dependencies(api)).toMatchObject({ migrate: 'service_completed_successfully', temporal: 'service_healthy', 'temporal-setup': 'service_completed_successfully' });
    expect(dependencies(service('worker'))).toMatchObject({ temporal: 'service_healthy', 'temporal-setup': 'service_completed_successfully' });
    expect(configs.api!().PORT).toBe(3000);
    expect(publishedPorts(api)).toContainEqual({ published: 3000, target: 3000 });
    const probe = argv(api.healthcheck?.test).join(' ');
    expect(probe).toContain('http://127.0.0.1:3000/readyz');
  });

  it('publishes the Temporal UI on no port (or only behind authentication), read-only, pointed at the Temporal service', () => {
    const ui = service('temporal-ui');
    expect(ui.image).toMatch(/^temporalio\/ui:/);
    const env = environment(ui);
    if (env.TEMPORAL_AUTH_ENABLED !== 'true') expect(ui.ports ?? []).toEqual([]);
    expect(env.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    // Nothing else publishes Temporal either: only the API has a port on the host.
    const published = Object.entries(compose().services).filter(([, svc]) => (svc.ports ?? []).length > 0).map(([name]) => name);
    expect(published).toEqual(env.TEMPORAL_AUTH_ENABLED === 'true' ? ['temporal-ui', 'api'] : ['api']);
  });

  it('runs Temporal on the compose Postgres and waits for its namespace', () => {
    const temporal = service('temporal');
    expect(temporal.image).toMatch(/^temporalio\/auto-setup:/);
    expect(environment(temporal)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres', DB_PORT: '5432' });
    expect(dependencies(temporal)).toEqual({ postgres: 'service_healthy', 'temporal-db': 'service_completed_successfully' });
    expect(argv(temporal.healthcheck?.test).join(' ')).toContain('namespace describe');
    expect(argv(service('postgres').healthcheck?.test).join(' ')).toContain('pg_isready');
  });

  it('registers exactly the search attributes the workflows use', () => {
    const setup = service('temporal-setup');
    expect(setup.image).toMatch(/^temporalio\/admin-tools:/);
    // admin-tools' own entrypoint sleeps forever: a one-shot must replace it.
    expect(argv(setup.entrypoint)).toEqual(['/bin/sh', '-ec']);
    expect(dependencies(setup)).toEqual({ temporal: 'service_healthy' });
    expect(environment(setup)).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: configs.api!().TEMPORAL_NAMESPACE });
    const script = argv(setup.command).join('\n');
    const created = [...script.matchAll(/search-attribute create\b[^\n]*?--name (\w+) --type (\w+)/g)].map((match) => [match[1], match[2]]);
    expect(Object.fromEntries(created)).toEqual(searchAttributes);
    expect(created).toHaveLength(Object.keys(searchAttributes).length);
  });
});

describe('Dockerfile', () => {
  const dockerfile = existsSync(path.join(root, 'Dockerfile')) ? read('Dockerfile') : '';
  const stages = dockerfile.split(/^FROM\s+/m).slice(1);
  const runtime = stages.at(-1) ?? '';
  const instructions = (stage: string, keyword: string) => stage.split('\n').filter((line) => line.trim().toUpperCase().startsWith(`${keyword} `));

  it('builds in one stage and runs from a slim bookworm Node with production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/RUN npm ci\b/);
    expect(stages[0]).toMatch(/RUN npm run build\b/);
    expect(dockerfile).toMatch(/node:2[02]-bookworm-slim/);
    expect(runtime).toMatch(/npm ci --omit=dev/);
  });

  it('copies dist, db/migrations and web/public into the runtime stage where the code looks for them', () => {
    const destinations = instructions(runtime, 'COPY').map((line) => line.trim().split(/\s+/).slice(1).filter((part) => !part.startsWith('--')));
    const copied = (from: string, to: string) => destinations.some((parts) => parts.at(-1) === to && parts.slice(0, -1).some((src) => src.replace(/^\/app\//, '') === from));
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
    expect(copied('dist', './dist')).toBe(true);
    expect(copied('db/migrations', './db/migrations')).toBe(true);
    expect(copied('web/public', './web/public')).toBe(true);
  });

  it('runs as a non-root user with the API as the default command', () => {
    const users = instructions(runtime, 'USER').map((line) => line.trim().split(/\s+/)[1]);
    expect(users.at(-1)).toBeDefined();
    expect(['root', '0']).not.toContain(users.at(-1));
    expect(instructions(runtime, 'CMD').at(-1)?.trim()).toBe('CMD ["node", "dist/api/main.js"]');
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.data', '.git', 'scratch', 'loadtest/results', 'coverage', '.env']));
  });
});
