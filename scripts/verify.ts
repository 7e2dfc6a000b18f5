import { parseArgs } from 'node:util';
import { connectStoresAsOwner, storeSqls } from '../db/client.js';
import { checkInvariants } from '../db/invariants.js';

/** `npm run verify [-- --event <id>] [--settled] [--read-model]`: exits 1 if any invariant fails. */
const { values } = parseArgs({
  options: { event: { type: 'string', multiple: true }, settled: { type: 'boolean', default: false }, 'read-model': { type: 'boolean', default: false } },
});
const stores = connectStoresAsOwner({ max: 1 });
try {
  const violations = await checkInvariants(storeSqls(stores), { ...(values.event ? { eventIds: values.event } : {}), settled: values.settled, readModel: values['read-model'] });
  if (violations.length === 0) {
    console.log('All invariants hold.');
  } else {
    for (const violation of violations) console.log(`VIOLATION ${violation.rule}: ${violation.detail}`);
    process.exitCode = 1;
  }
} finally {
  await stores.close();
}
