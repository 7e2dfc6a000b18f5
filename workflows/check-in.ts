import { proxyActivities } from '@temporalio/workflow';
import type { TicketActivities } from '../activities/tickets.js';
import { checkInFailures } from '../lib/failures.js';

const ticketing = proxyActivities<Pick<TicketActivities, 'checkInTicket'>>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [...checkInFailures] },
});

/** Admits a ticket at the door; the ticketing activity makes it valid once. */
export async function checkIn(input: { code: string }): Promise<{ code: string; checkedInAt: string }> {
  return ticketing.checkInTicket(input);
}
