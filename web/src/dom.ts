/** The page's elements by id, checked against the element type the code expects. */
export function element<T extends HTMLElement>(id: string, type: abstract new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return found;
}

/** Any element by id (for text, hidden and dataset). */
export const $ = (id: string): HTMLElement => element(id, HTMLElement);

export type LiveIndicator = 'connecting' | 'live' | 'offline' | 'resyncing';

export function setLive(kind: LiveIndicator, text: string): void {
  const indicator = $('live');
  indicator.dataset.state = kind;
  indicator.textContent = text;
}
