import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { missingOptionalEntries, platformOf } from '../scripts/complete-lockfile.mjs';

describe('package-lock.json', () => {
  it('lists every platform build of native dependencies, so `npm ci` accepts it on a fresh clone', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as unknown;
    expect((missingOptionalEntries(lock) as { name: string }[]).map((entry) => entry.name)).toEqual([]);
  });

  it('tells a platform package’s os and cpu from its name', () => {
    expect(platformOf('@swc/core-linux-arm-gnueabihf')).toEqual({ os: 'linux', cpu: 'arm', libc: 'glibc' });
    expect(platformOf('@swc/core-win32-ia32-msvc')).toEqual({ os: 'win32', cpu: 'ia32', libc: undefined });
    expect(platformOf('@swc/core-linux-x64-musl')).toEqual({ os: 'linux', cpu: 'x64', libc: 'musl' });
    expect(platformOf('left-pad')).toBeUndefined();
  });
});
