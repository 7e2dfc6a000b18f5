import { connectAsOwner } from '../db/client.js';
import { demoAccounts, seed } from './demo-data.js';

/** `npm run db:seed`: demo users and events; safe to run again. */
const database = connectAsOwner();
try {
  const created = await seed(database.db);
  console.log(`Seeded ${created.users} users and ${created.events} events (existing ones kept).`);
  for (const account of demoAccounts) console.log(`  ${account.role.padEnd(9)} ${account.email} / ${account.password}`);
} finally {
  await database.close();
}
