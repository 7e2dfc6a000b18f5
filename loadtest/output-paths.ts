import { constants } from 'node:fs';
import { access, mkdir, open, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { OptionsError } from './cli-flags.js';

/** Where --out or --html goes: that file, or a file named for the run inside that directory. */
export type OutputTarget = { kind: 'file'; path: string } | { kind: 'directory'; path: string };

/**
 * A directory when it is one already, ends with a slash, or has no extension (`--out results`);
 * otherwise the file itself. Looks only; writes nothing.
 */
export async function outputTarget(text: string): Promise<OutputTarget> {
  const resolved = path.resolve(text);
  const existing = await stat(resolved).catch(() => undefined);
  if (existing?.isDirectory() || /[\\/]$/.test(text) || (!existing && path.extname(resolved) === '')) return { kind: 'directory', path: resolved };
  return { kind: 'file', path: resolved };
}

/** The file a target names for one run: `<dir>/<run name><extension>` for a directory. */
export function outputFile(target: OutputTarget, runName: string, extension: string): string {
  return target.kind === 'file' ? target.path : path.join(target.path, `${runName}${extension}`);
}

/**
 * Checked before the load starts, so that a run of minutes is not lost to a path it cannot write:
 * creates the directory, and proves it writable by creating (and removing) a probe file in it.
 */
export async function prepareOutput(text: string, flag: string): Promise<OutputTarget> {
  const target = await outputTarget(text);
  const directory = target.kind === 'directory' ? target.path : path.dirname(target.path);
  try {
    await mkdir(directory, { recursive: true });
    if (target.kind === 'file' && (await stat(target.path).catch(() => undefined))) await access(target.path, constants.W_OK);
    const probe = path.join(directory, `.loadtest-write-probe-${process.pid}`);
    await (await open(probe, 'w')).close();
    await unlink(probe);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new OptionsError(`${flag} ${text}: cannot write there (${reason})`);
  }
  return target;
}
