import type { LoadOptions } from './options.js';
import type { RunContext } from './run-context.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** On a terminal the line is redrawn in place this often; elsewhere (CI logs, files) one line this often. */
const TTY_EVERY_MS = 250;
const LINES_EVERY_MS = 5000;

export function progressLine(run: RunContext): string {
  const now = run.now();
  const failed = [...run.live.failedByReason.entries()].sort((a, b) => b[1] - a[1]);
  const failedText = failed.length === 0 ? '0' : failed.map(([reason, count]) => `${reason} ${count}`).join(', ');
  const capacity = run.ledger.mainCapacity();
  return [
    `${(now / 1000).toFixed(1)}s`,
    `bookings ${run.live.bookings}`,
    `in flight ${run.inFlight}`,
    `confirmed ${run.live.confirmed}`,
    `failed ${failedText}`,
    `rate ${run.live.rate(now).toFixed(1)}/s`,
    `seats ${run.ledger.mainSoldNow()}/${capacity}`,
    ...(run.droppedArrivals > 0 ? [`dropped ${run.droppedArrivals}`] : []),
  ].join('  ');
}

/** The live progress line on stderr: redrawn in place on a TTY, else one line every few seconds. */
export function startProgress(run: RunContext, mode: LoadOptions['progress'], stream: ProgressStream | undefined): { stop(): void } {
  if (!stream || mode === 'off') return { stop() {} };
  const inPlace = mode === 'tty' || (mode === 'auto' && stream.isTTY === true);
  const draw = () => {
    const line = progressLine(run);
    if (inPlace) stream.write(`\r\x1b[2K${line.slice(0, Math.max(40, (stream.columns || 160) - 1))}`);
    else stream.write(`${line}\n`);
  };
  const timer = setInterval(draw, inPlace ? TTY_EVERY_MS : LINES_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      draw();
      if (inPlace) stream.write('\n');
    },
  };
}
