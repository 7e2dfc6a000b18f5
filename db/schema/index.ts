export * from './identity.js';
export * from './catalog.js';
export * from './booking.js';
export * from './payments.js';
export * from './ticketing.js';
export * from './readmodel.js';
export * from './coordinator.js';
export * from './ratelimit.js';
