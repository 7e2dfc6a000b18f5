import { loadClientSettings } from '../lib/config.js';

export interface ClientOptions {
  baseUrl: string;
  /** Log in at start instead of asking (the password may also come from BOXOFFICE_PASSWORD). */
  email?: string;
  password?: string;
  /** Log in as the demo customer at start. */
  demo: boolean;
  help: boolean;
}

export const usage = `Usage: npm run client -- [--url http://localhost:3000] [--demo | --email you@example.com]

  --url URL        the Boxoffice API (default: BOXOFFICE_URL, else http://localhost:3000)
  --demo           log in as the demo customer (customer@boxoffice.test)
  --email EMAIL    log in as EMAIL; the password is asked for, or read from BOXOFFICE_PASSWORD
  --help           this text

Keys: arrows move, space picks a seat, b books, t changes the test card, m lists your
reservations (x cancels one), / filters events, Esc goes back, q quits.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command line and the environment; throws UsageError on anything it does not know. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ClientOptions {
  const options: ClientOptions = { baseUrl: loadClientSettings(env).BOXOFFICE_URL, demo: false, help: false };
  const password = env.BOXOFFICE_PASSWORD;
  if (password) options.password = password;
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = () => {
      const next = argv[++index];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--url') options.baseUrl = value();
    else if (flag === '--email') options.email = value();
    else if (flag === '--demo') options.demo = true;
    else if (flag === '--help' || flag === '-h') options.help = true;
    else throw new UsageError(`Unknown option ${flag}`);
  }
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new UsageError(`--url: ${options.baseUrl} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url: use an http:// or https:// address');
  options.baseUrl = url.origin + url.pathname.replace(/\/+$/, '');
  return options;
}
