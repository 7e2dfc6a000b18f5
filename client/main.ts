// The terminal client (`npm run client`): log in, pick an event, its seat map live over the
// WebSocket, book with a test card, cancel. It talks to the public HTTP API and /ws only.
import { createElement as h } from 'react';
import { render } from 'ink';
import { ConfigError } from '../lib/config.js';
import { ApiClient } from './api-client.js';
import { App } from './app.js';
import { parseOptions, usage, UsageError } from './options.js';

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let options;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  if (error instanceof UsageError || error instanceof ConfigError) fail(`${error.message}\n\n${usage}`, 2);
  throw error;
}
if (options.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
// Raw keys need a terminal: piped or redirected, there is nothing to drive the screen with.
if (!process.stdin.isTTY || !process.stdout.isTTY) {
  fail('boxoffice client: this is an interactive program and needs a terminal (stdin and stdout must be a TTY). For scripts, use the HTTP API directly (see README, "Try it").', 2);
}

const instance = render(h(App, { api: new ApiClient(options.baseUrl), options }), { exitOnCtrlC: true });
await instance.waitUntilExit();
// Sockets and timers of the session must not keep a quitting terminal waiting.
process.exit(0);
