#!/usr/bin/env node
// Makes sure Debian's Chromium is installed for the browser tests (playwright-core drives it; its
// own browser downloads cannot reach the network here). Uses nothing but Node itself.
// Exit 0: /usr/bin/chromium is there. Exit 1: it could not be installed, with the command to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const say = (line) => console.log(`[ensure-chromium] ${line}`);

if (existsSync(CHROMIUM)) {
  say(`${CHROMIUM} is installed`);
  process.exit(0);
}

function fail(reason) {
  console.error(`[ensure-chromium] ${reason}`);
  console.error('[ensure-chromium] Install it yourself, as root:  apt-get update && apt-get install -y chromium');
  process.exit(1);
}

if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  fail(`${CHROMIUM} is missing and this is not root, so apt-get cannot install it.`);
}

function aptGet(args) {
  say(`running: apt-get ${args.join(' ')}`);
  const result = spawnSync('apt-get', args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) fail(`apt-get could not run: ${result.error.message}`);
  return result.status === 0;
}

const install = ['install', '-y', '--no-install-recommends', 'chromium'];
say(`${CHROMIUM} is missing: installing Debian's chromium package`);
// A stale or empty package list is the usual reason for a failed install: refresh it once and retry.
if (!aptGet(install)) {
  say('install failed; refreshing the package lists and trying again');
  if (!aptGet(['update'])) fail('apt-get update failed.');
  if (!aptGet(install)) fail('apt-get install chromium failed.');
}
if (!existsSync(CHROMIUM)) fail(`apt-get reported success but ${CHROMIUM} is still missing.`);
say(`${CHROMIUM} installed`);
