/**
 * The typed public contract (served in full at /openapi.json): the zod schemas of every answer, shared by the
 * presenters, the OpenAPI document, the tests, the load script, the benches and the page (types).
 */
export * from './errors.js';
export * from './events.js';
export * from './identity.js';
export * from './reservations.js';
export * from './sales.js';
export * from './tickets.js';
export * from './notifications.js';
export * from './waitlist.js';
export * from './queue.js';
