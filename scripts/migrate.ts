import { config } from '../lib/config.js';
import { prepareDatabases } from './prepare-databases.js';

/** `npm run db:migrate`: creates the databases if needed and applies the committed migrations to each. */
const databases = await prepareDatabases(config(), (line) => console.log(line));
console.log(`Migrations applied to ${databases.join(', ')}`);
