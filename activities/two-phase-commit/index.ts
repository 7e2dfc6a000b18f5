/**
 * Booking by two-phase commit, the alternative to the saga (BOOKING_PROTOCOL=2pc,
 * docs/saga-vs-2pc.md): the booking, payments and ticketing stores each do their part in a Postgres
 * transaction that is PREPAREd, and the coordinator commits all three, or rolls all three back,
 * after writing its decision durably. Readers never see a seat held but unpaid; the price is that
 * the seat rows stay locked until the decision, and a coordinator that dies in between leaves them
 * locked until recovery.
 *
 * The workflow that runs it is workflows/two-phase-reservation.ts; the decision log's table is
 * db/schema/coordinator.ts; worker/activities.ts wires this folder, worker/two-phase-recovery.ts
 * runs recovery on a timer. Here, one file per part: ids (transaction and prepared ids),
 * liveness (which coordinators are alive), decisions (the log and phase 2), coordinator (phase 1
 * and the decision), recovery (in-doubt transactions), activity (the Temporal activity), and one
 * participant per store.
 */
export { createTwoPhaseActivities, type TwoPhaseActivities } from './activity.js';
export { createSeatSaleParticipant, type PreparedSale, type SeatSaleParticipant } from './booking-participant.js';
export { createCoordinator, TransactionAborted, type Coordinator, type CoordinatorDeps, type CoordinatorHooks, type TwoPhaseBooking } from './coordinator.js';
export { participants, preparedIdOf, transactionIdOf, type Participant } from './ids.js';
export { startLiveness, type Liveness } from './liveness.js';
export { createChargeParticipant, type ChargeParticipant } from './payments-participant.js';
export { createTicketParticipant, type TicketParticipant } from './ticketing-participant.js';
