import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import type { ClusterLayout } from './layout.js';

/**
 * Temporal's two databases (history and visibility) on the local Postgres, owned by a role of
 * their own, created and migrated with Temporal's own sql tool and the schemas embedded in it.
 * Idempotent: a second start finds the role and the databases, and update-schema has nothing to do
 * (or applies what a newer server version added).
 */
export interface TemporalDatabasesOptions {
  sqlTool: string;
  /** The superuser's connection (any database on the server): only to create the role and look. */
  ownerUrl: string;
  layout: ClusterLayout;
  say(line: string): void;
}

const schemaName = { temporal: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;

export async function prepareTemporalDatabases({ sqlTool, ownerUrl, layout, say }: TemporalDatabasesOptions): Promise<void> {
  const server = new URL(ownerUrl);
  const { user, password } = layout.temporalRole;
  const run = (database: string, args: string[]) => {
    const common = ['--pl', 'postgres12', '--ep', server.hostname, '-p', server.port || '5432', '-u', user, '--pw', password, '--db', database];
    const result = spawnSync(sqlTool, [...common, ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`temporal sql ${args[0]} on ${database} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
  };
  const maintenance = new URL(ownerUrl);
  maintenance.pathname = '/postgres';
  const sql = postgres(maintenance.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [role] = await sql`SELECT 1 FROM pg_roles WHERE rolname = ${user}`;
    if (!role) {
      // CREATEDB only, so that the sql tool creates the databases as their owner; no superuser.
      await sql.unsafe(`CREATE ROLE ${user} LOGIN CREATEDB PASSWORD '${password}'`);
      say(`Postgres: role ${user} created`);
    }
    for (const kind of ['temporal', 'visibility'] as const) {
      const database = layout.databases[kind];
      const [exists] = await sql`SELECT 1 FROM pg_database WHERE datname = ${database}`;
      if (!exists) {
        run(database, ['create']);
        say(`Postgres: database ${database} created (owner ${user})`);
      }
      const inside = new URL(ownerUrl);
      inside.pathname = `/${database}`;
      const db = postgres(inside.toString(), { max: 1, onnotice: () => {}, connect_timeout: 5 });
      const versioned = await db`SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'`.finally(() => db.end({ timeout: 5 }));
      if (versioned.length === 0) run(database, ['setup-schema', '-v', '0.0']);
      run(database, ['update-schema', '--schema-name', schemaName[kind]]);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
