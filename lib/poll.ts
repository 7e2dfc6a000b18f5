import { setTimeout as delay } from 'node:timers/promises';

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  /** What is awaited, for the timeout's message; a function when the message needs the latest state. */
  what: string | (() => string);
}

export class PollTimeoutError extends Error {
  override name = 'PollTimeoutError';
}

/**
 * Asks `probe` every `intervalMs` until it returns a value, and returns that value. The probe is
 * asked at least once, and once more right at the deadline, so a slow machine gets the whole time.
 * An error thrown by the probe ends the wait: a probe that expects failures while something starts
 * catches them and returns undefined.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) {
      const what = typeof options.what === 'function' ? options.what() : options.what;
      throw new PollTimeoutError(`Timed out after ${options.timeoutMs} ms waiting for ${what}`);
    }
    await delay(Math.min(options.intervalMs, left));
  }
}
