import type { ErrorBody, Reservation } from '../../api/contract/index.js';
import { $ } from './dom.js';
import { state } from './state.js';

/** What the page knows about a booking that did not go through: the server's error body, or less. */
export type Refusal = Partial<ErrorBody>;

export function showResult(kind: 'ok' | 'failed', message: string): void {
  const result = $('result');
  result.className = `result ${kind}`;
  result.textContent = message;
  result.hidden = false;
}

export function showConfirmed(reservation: Reservation): void {
  const result = $('result');
  result.replaceChildren();
  result.className = 'result ok';
  const title = document.createElement('p');
  title.innerHTML = '<strong>Booked!</strong> Your tickets:';
  const list = document.createElement('ul');
  for (const ticket of reservation.tickets) {
    const item = document.createElement('li');
    const code = document.createElement('code');
    code.textContent = ticket.code;
    item.append(code, ticket.seat && !ticket.seat.startsWith('GA-') ? ` — seat ${ticket.seat}` : '');
    list.append(item);
  }
  result.append(title, list, workflowLink(reservation.workflowId));
  result.hidden = false;
}

/** The server's message says why (lib/failures.ts); the code under it names the reason. */
export function showFailed(body: Refusal): void {
  const result = $('result');
  result.replaceChildren();
  result.className = 'result failed';
  const text = document.createElement('p');
  const strong = document.createElement('strong');
  strong.textContent = 'Not booked. ';
  text.append(strong, body.message ?? 'Something went wrong.');
  const code = document.createElement('p');
  code.className = 'meta';
  code.textContent = `Reason: ${body.error ?? 'unknown'}`;
  result.append(text, code);
  const workflowId = workflowIdOf(body.details);
  if (workflowId) result.append(workflowLink(workflowId));
  result.hidden = false;
}

/** A failed booking's error details carry the reservation (api/routes/reservations.ts). */
function workflowIdOf(details: unknown): string | undefined {
  if (typeof details !== 'object' || details === null || !('reservation' in details)) return undefined;
  const reservation: unknown = details.reservation;
  if (typeof reservation !== 'object' || reservation === null || !('workflowId' in reservation)) return undefined;
  return typeof reservation.workflowId === 'string' ? reservation.workflowId : undefined;
}

function workflowLink(workflowId: string | undefined): HTMLParagraphElement {
  const paragraph = document.createElement('p');
  if (!workflowId || !state.config.temporalUiUrl) return paragraph;
  const link = document.createElement('a');
  link.href = `${state.config.temporalUiUrl}/namespaces/${encodeURIComponent(state.config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  link.target = '_blank';
  link.rel = 'noopener';
  link.textContent = 'See this booking’s workflow in the Temporal UI';
  paragraph.append(link);
  return paragraph;
}
