#!/usr/bin/env node
// The npm registry these machines reach does not serve other platforms' builds of native packages
// (e.g. @swc/core-darwin-arm64), so `npm install` here writes a lock without them, and `npm ci`
// then refuses the lock as out of sync. This adds the missing platform entries (version, os, cpu;
// no tarball: npm never fetches a package for another platform). Run it after `npm install`;
// test/lockfile.test.ts fails while any entry is missing.
import { readFileSync, writeFileSync } from 'node:fs';

const cpus = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64'];
const oses = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openbsd', 'netbsd', 'sunos', 'aix'];

/** os and cpu of a platform package, from its name ("@swc/core-linux-arm-gnueabihf"). */
export function platformOf(name) {
  const tokens = name.split('/').pop().split('-');
  const os = tokens.find((token) => oses.includes(token));
  const cpu = tokens.find((token) => cpus.includes(token));
  if (!os || !cpu) return undefined;
  const libc = tokens.includes('musl') ? 'musl' : tokens.some((token) => token.startsWith('gnu')) ? 'glibc' : undefined;
  return { os, cpu, libc };
}

/** Lock entries that optional dependencies name but the lock lacks. */
export function missingOptionalEntries(lock) {
  const missing = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
      if (!lock.packages[nested] && !lock.packages[`node_modules/${name}`]) missing.push({ key: `node_modules/${name}`, name, version, parent: entry });
    }
  }
  return missing;
}

export function completeLock(lock) {
  const added = [];
  for (const { key, name, version, parent } of missingOptionalEntries(lock)) {
    const platform = platformOf(name);
    if (!platform) throw new Error(`${name}: cannot tell its platform from the name; add it to package-lock.json by hand`);
    lock.packages[key] = {
      version: version.replace(/^[\^~=]/, ''),
      cpu: [platform.cpu],
      ...(platform.libc ? { libc: [platform.libc] } : {}),
      ...(parent.license ? { license: parent.license } : {}),
      optional: true,
      os: [platform.os],
      ...(parent.engines ? { engines: parent.engines } : {}),
    };
    added.push(name);
  }
  const { '': root, ...rest } = lock.packages;
  lock.packages = { '': root, ...Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))) };
  return added;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const added = completeLock(lock);
  writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
  console.log(added.length ? `Added ${added.length} platform entries: ${added.join(', ')}` : 'package-lock.json already complete.');
}
