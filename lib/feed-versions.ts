/**
 * The live seat map's version rule (docs/live-seat-map.md), shared by its clients (the page, the
 * terminal client): a change one past the remembered version applies, an older or repeated one is
 * ignored, a later one means a change went missing (ask for a snapshot).
 */
export function nextStep(remembered: number | undefined, incoming: number): 'apply' | 'ignore' | 'resync' {
  if (remembered === undefined) return 'resync';
  if (incoming <= remembered) return 'ignore';
  return incoming === remembered + 1 ? 'apply' : 'resync';
}
