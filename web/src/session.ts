import type { Session } from '../../api/contract/index.js';
import { api } from './api-client.js';
import { $, element } from './dom.js';
import { showResult } from './result.js';
import { state, TOKEN_KEY, USER_KEY } from './state.js';

export interface Credentials {
  email: string;
  password: string;
}

/** The demo account scripts/seed.ts creates. */
export const DEMO_CUSTOMER: Credentials = { email: 'customer@boxoffice.test', password: 'customer-password' };

const listeners: Array<() => void | Promise<void>> = [];

/** Runs after every log in and log out (reconnect the feed, mark the user's seats...). */
export function onSessionChange(listener: () => void | Promise<void>): void {
  listeners.push(listener);
}

async function changed(): Promise<void> {
  for (const listener of listeners) await listener();
}

export async function logIn(credentials: Credentials): Promise<void> {
  const error = $('login-error');
  error.hidden = true;
  const answer = await api<Session>('POST', '/api/auth/login', credentials);
  if (!answer.ok) {
    error.textContent = answer.body.message ?? 'Could not log in.';
    error.hidden = false;
    return;
  }
  state.token = answer.body.token;
  state.user = answer.body.user;
  sessionStorage.setItem(TOKEN_KEY, answer.body.token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(answer.body.user));
  showAccount();
  await changed();
}

export async function logOut(reason?: string): Promise<void> {
  state.token = null;
  state.user = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  showAccount();
  await changed();
  if (reason) showResult('failed', reason);
}

export function showAccount(): void {
  $('who').textContent = state.user ? `Signed in as ${state.user.name}` : '';
  element('logout', HTMLButtonElement).hidden = !state.user;
}

/** The log-in form's fields. */
export const typedCredentials = (): Credentials => ({ email: element('email', HTMLInputElement).value, password: element('password', HTMLInputElement).value });
