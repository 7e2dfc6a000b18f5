export { reservation } from './reservation.js';
export { reservationCancellation } from './reservation-cancellation.js';
export { eventCancellation } from './event-cancellation.js';
export { checkIn } from './check-in.js';
export { twoPhaseReservation } from './two-phase-reservation.js';
export { eventReminders } from './event-reminders.js';
export { eventWaitlist } from './event-waitlist.js';
export { waitingRoom } from './waiting-room.js';
