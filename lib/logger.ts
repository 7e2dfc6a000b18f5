import { pino, type Logger } from 'pino';
import { config } from './config.js';

/** The one logger: JSON lines, or pretty when a person is watching the terminal. */
export function createLogger(name: string): Logger {
  const pretty = process.stdout.isTTY && config().NODE_ENV !== 'production';
  return pino({
    name,
    level: config().LOG_LEVEL,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  });
}

export type { Logger };
