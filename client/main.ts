// The terminal client (`npm run client`): log in, pick an event, its seat map live over the
// WebSocket, book with a test card, cancel. It talks to the public HTTP API and /ws only.
import { ConfigError } from '../lib/config.js';
import { parseOptions, usage, UsageError, type ClientOptions } from './options.js';

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let options: ClientOptions;
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

// A terminal on both ends is interactive, whatever CI says: under CI=true ink draws nothing until
// the program exits. It reads the variables when it loads, hence the imports after this line.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
const [{ createElement: h }, { render }, { ApiClient }, { App }] = await Promise.all([import('react'), import('ink'), import('./api-client.js'), import('./app.js')]);

const instance = render(h(App, { api: new ApiClient(options.baseUrl), options }), { exitOnCtrlC: true });
await instance.waitUntilExit();
// Sockets and timers of the session must not keep a quitting terminal waiting.
process.exit(0);
