import { scenarioNames, type LoadOptions, type ScenarioName } from './load-options.js';

export { scenarioNames, type ScenarioName };

/** Named presets: `--scenario NAME`; any flag given as well overrides the preset's value. */
export const scenarios = {
  'high-load': {
    summary: 'The Grand Theater (6 rooms x 12 rows x 10 seats = 720) sold out by 80 connections, 1 to 4 seats a booking',
    options: {
      connections: 80,
      untilSoldOut: true,
      events: 6,
      seating: { type: 'reserved', rows: 12, seatsPerRow: 10 },
      seatsPerRequest: { min: 1, max: 4 },
      customers: 40,
    },
  },
  'small-load': {
    summary: 'A few clients, no queueing: the latency of one booking on an idle system',
    options: {
      connections: 4,
      durationMs: 10_000,
      events: 1,
      seating: { type: 'reserved', rows: 20, seatsPerRow: 25 },
      seatsPerRequest: { min: 1, max: 1 },
      customers: 4,
    },
  },
  sellout: {
    summary: 'Time to sell every seat of one 500-seat room, 40 connections, 2 seats a booking',
    options: {
      connections: 40,
      untilSoldOut: true,
      events: 1,
      seating: { type: 'reserved', rows: 20, seatsPerRow: 25 },
      seatsPerRequest: { min: 2, max: 2 },
      customers: 20,
    },
  },
  'same-request-flood': {
    summary: 'One customer repeats one request as fast as it can: half with one Idempotency-Key, half without',
    options: {
      connections: 20,
      durationMs: 5_000,
      events: 1,
      seating: { type: 'reserved', rows: 5, seatsPerRow: 10 },
      seatsPerRequest: { min: 2, max: 2 },
      customers: 1,
      sameRequest: 'both',
    },
  },
  'two-clients-race': {
    summary: 'Two customers, each with its own view of the room, race to take every seat; how were they shared?',
    options: {
      connections: 8,
      untilSoldOut: true,
      events: 1,
      seating: { type: 'reserved', rows: 10, seatsPerRow: 10 },
      seatsPerRequest: { min: 2, max: 2 },
      customers: 2,
      seatKnowledge: 'per-client',
    },
  },
  churn: {
    summary: 'A small room kept turning over: 30% of the clients’ actions cancel one of their bookings, the rest book the freed seats',
    options: {
      connections: 16,
      durationMs: 10_000,
      events: 1,
      seating: { type: 'reserved', rows: 5, seatsPerRow: 10 },
      seatsPerRequest: { min: 2, max: 2 },
      customers: 8,
      cancelRate: 0.3,
    },
  },
  'seed-002': {
    summary: '80 connections for 10 s, one ticket a booking, over 4 general-admission events of 10,000 (the Go reference: 713 naive, 4,992 batched)',
    options: {
      connections: 80,
      durationMs: 10_000,
      events: 4,
      seating: { type: 'general', capacity: 10_000 },
      seatsPerRequest: { min: 1, max: 1 },
      customers: 80,
    },
  },
  onsale: {
    summary: 'An on-sale (issue 14): 2,000 buyers join one 20 x 30 room\'s waiting room within 2 s before it opens, each books 1 to 4 seats best available once admitted; --no-queue: all book at the opening',
    options: {
      onSale: true,
      customers: 2000,
      connections: 2000,
      events: 1,
      seating: { type: 'reserved', rows: 20, seatsPerRow: 30 },
      seatsPerRequest: { min: 1, max: 4 },
      bestAvailable: true,
      maxDurationMs: 300_000,
    },
  },
} as const satisfies Record<ScenarioName, { summary: string; options: Partial<LoadOptions> }>;
export const isScenarioName = (name: string): name is ScenarioName => name in scenarios;
