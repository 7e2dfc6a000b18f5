import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { config } from '../../lib/config.js';
import { loadFlags } from '../../loadtest/load-flags.js';
import { defaultOptions, OptionsError, parseCommandLine, parseDuration, resolveOptions, usage } from '../../loadtest/options.js';
import { outputFile, outputTarget, prepareOutput } from '../../loadtest/output-paths.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'loadtest-options-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('load-test options: parsing', () => {
  it('has the documented defaults, with the database and Temporal taken from lib/config', () => {
    const { options, help } = parseCommandLine([]);
    expect(help).toBe(false);
    expect(options).toMatchObject({
      baseUrl: 'http://localhost:3000',
      connections: 80,
      mode: 'closed',
      durationMs: 10_000,
      untilSoldOut: false,
      seatsPerRequest: { min: 1, max: 1 },
      seating: { type: 'reserved', rows: 10, seatsPerRow: 20 },
      protocol: 'saga',
      progress: 'auto',
      eventIds: [],
    });
    expect(options.databaseUrl).toBe(config().DATABASE_URL);
    expect(options.temporalAddress).toBe(config().TEMPORAL_ADDRESS);
    expect(options.out).toBeUndefined();
  });

  it('reads every kind of value', () => {
    const { options } = parseCommandLine([
      '--base-url', 'http://127.0.0.1:3999///',
      '--connections', '12',
      '--duration', '500ms',
      '--seats-per-request', '1-3',
      '--event', 'a', '--event', 'b',
      '--payment-failure-rate', '0.25',
      '--hold-then-pay',
      '--same-request', 'keyed',
      '--settle-timeout', '2m',
      '--out', 'x.json',
    ]);
    expect(options).toMatchObject({ baseUrl: 'http://127.0.0.1:3999', connections: 12, durationMs: 500, seatsPerRequest: { min: 1, max: 3 }, eventIds: ['a', 'b'], paymentFailureRate: 0.25, holdThenPay: true, sameRequest: 'keyed', settleTimeoutMs: 120_000, out: 'x.json' });
  });

  it('applies a scenario, then the flags; --rate implies open mode; size flags adjust the preset room', () => {
    expect(parseCommandLine(['--scenario', 'sellout', '--rows', '3']).options).toMatchObject({ untilSoldOut: true, seating: { type: 'reserved', rows: 3, seatsPerRow: 25 } });
    expect(parseCommandLine(['--scenario', 'sellout', '--duration', '2s']).options.untilSoldOut).toBe(false);
    expect(parseCommandLine(['--rate', '50/s']).options).toMatchObject({ mode: 'open', ratePerSecond: 50 });
    expect(parseCommandLine(['--capacity', '30']).options.seating).toEqual({ type: 'general', capacity: 30 });
    expect(parseCommandLine(['--seating', 'general']).options.seating).toEqual({ type: 'general', capacity: 1000 });
  });

  it('says --help', () => {
    expect(parseCommandLine(['--help']).help).toBe(true);
    expect(parseCommandLine(['-h']).help).toBe(true);
  });

  it('parses durations', () => {
    expect(parseDuration('10', '--x')).toBe(10_000);
    expect(parseDuration('1.5s', '--x')).toBe(1500);
    expect(() => parseDuration('soon', '--x')).toThrow(/--x soon/);
  });
});

describe('load-test options: errors name the flag', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'$/],
    [['--connections'], /--connections/],
    [['--connections', 'many'], /--connections many is not a number/],
    [['--connections', '0'], /--connections must be a whole number from 1 to 2000 \(got 0\)/],
    [['--mode', 'half-open'], /--mode half-open: choose one of closed, open/],
    [['--protocol', 'two-phase'], /--protocol two-phase: choose one of saga, 2pc/],
    [['--scenario', 'nope'], /--scenario nope: choose one of/],
    [['--seats-per-request', '5'], /--seats-per-request/],
    [['--payment-failure-rate', '1.5'], /--payment-failure-rate must be a probability/],
    [['--payment-failure-rate', '0.6', '--slow-payment-rate', '0.6'], /more than 1/],
    [['--protocol', '2pc', '--hold-then-pay'], /--hold-then-pay needs --protocol saga/],
    [['--best-available', '--seating', 'general'], /--best-available needs --seating reserved/],
    [['--best-available', '--same-request', 'keyed'], /--best-available and --same-request/],
    [['--duration', '5s', '--until-sold-out'], /not both/],
    [['--duration', 'soon'], /--duration soon/],
    [['--seating', 'general', '--rows', '3'], /--capacity/],
    [['--rows', '99'], /--rows must be a whole number from 1 to 26/],
    [['--base-url', 'https://example.com'], /--base-url must be an http:\/\/ URL/],
    [['--until-sold-out=yes'], /--until-sold-out/],
    [['stray'], /Unexpected argument stray/],
  ];
  it.each(cases)('%j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(OptionsError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it('--best-available asks the house for the seats (reserved seating)', () => {
    expect(parseCommandLine(['--best-available', '--seats-per-request', '1..4']).options).toMatchObject({ bestAvailable: true, seating: { type: 'reserved' }, seatsPerRequest: { min: 1, max: 4 } });
    expect(parseCommandLine([]).options.bestAvailable).toBe(false);
  });

  it('checks values set in code as well (a test or an experiment)', () => {
    expect(() => resolveOptions({ connections: 0 })).toThrow(/--connections/);
    expect(() => resolveOptions({ seating: { type: 'general', capacity: 0 } })).toThrow(/--capacity/);
  });
});

describe('load-test options: usage text', () => {
  const text = usage();

  it('lists every flag once, with its default', () => {
    for (const flag of loadFlags) expect(text.split('\n').filter((line) => line.startsWith(`  --${flag.name} `) || line === `  --${flag.name}`)).toHaveLength(1);
    expect(text).toMatch(/--help/);
    const defaults = defaultOptions();
    expect(text).toMatch(/--connections N +.*\(default 80\)/);
    expect(text).toMatch(/--duration DURATION +.*\(default 10s\)/);
    expect(text).toMatch(/--rate N\/s +.*\(default 100\/s\)/);
    expect(text).toContain(`(default ${defaults.databaseUrl})`);
  });
});

describe('load-test options: --out and --html', () => {
  it('takes a file, or a directory for a file named for the run', async () => {
    const file = await outputTarget(path.join(scratch, 'run.json'));
    expect(file).toEqual({ kind: 'file', path: path.join(scratch, 'run.json') });
    expect(outputFile(file, 'sellout-1234', '.json')).toBe(path.join(scratch, 'run.json'));

    const existing = await outputTarget(scratch);
    expect(existing.kind).toBe('directory');
    expect(outputFile(existing, 'sellout-1234', '.html')).toBe(path.join(scratch, 'sellout-1234.html'));
    expect((await outputTarget(path.join(scratch, 'new-dir/'))).kind).toBe('directory');
    expect((await outputTarget(path.join(scratch, 'results'))).kind).toBe('directory');
  });

  it('creates the directory and leaves nothing else behind', async () => {
    const dir = path.join(scratch, 'made', 'for', 'results');
    expect(await prepareOutput(dir, '--out')).toEqual({ kind: 'directory', path: dir });
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails at once, naming the flag, on a path that cannot be written', async () => {
    const blocker = path.join(scratch, 'a-file');
    writeFileSync(blocker, 'not a directory');
    await expect(prepareOutput(path.join(blocker, 'out.json'), '--out')).rejects.toThrow(OptionsError);
    await expect(prepareOutput(path.join(blocker, 'reports'), '--html')).rejects.toThrow(/^--html .*a-file\/reports: cannot write there/);
  });
});
