import { parseArgs } from 'node:util';

/**
 * Command-line flags written once: each flag's name, value, default shown, description, how it
 * sets its field and how that field is checked live in one entry, from which the parseArgs table,
 * the usage text and the validation are all made. Used by the load script and the benches.
 */

export class OptionsError extends Error {
  override name = 'OptionsError';
}

interface FlagCommon<T> {
  /** Without the leading dashes: `base-url`. */
  name: string;
  description: string;
  /** The default as the usage text shows it, read from the defaults. */
  shown?: (defaults: T) => string | undefined;
  /** A message when the (resolved) value is wrong; run on every resolution, not only on flags given. */
  check?: (values: T) => string | undefined;
}

export interface SwitchFlag<T> extends FlagCommon<T> {
  kind: 'switch';
  set?: (into: Partial<T>) => void;
}

export interface ValueFlag<T> extends FlagCommon<T> {
  kind: 'value';
  /** What the value looks like in the usage text: `N`, `URL`, `10s`. */
  placeholder: string;
  /** May be given more than once; `set` then runs once per occurrence, in order. */
  multiple?: boolean;
  /** Undefined when another step combines this flag with others (see `given`). */
  set?: (into: Partial<T>, text: string, flag: string) => void;
}

export type Flag<T> = SwitchFlag<T> | ValueFlag<T>;

/** What was written on the command line, by flag name: for rules that combine several flags. */
export type Given = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface Parsed<T> {
  values: Partial<T>;
  given: Given;
  help: boolean;
}

/** argv → the fields the flags set. Unknown flags, missing values and stray arguments throw OptionsError. */
export function parseFlags<T>(flags: readonly Flag<T>[], argv: readonly string[]): Parsed<T> {
  const table: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const flag of flags) table[flag.name] = flag.kind === 'switch' ? { type: 'boolean' } : { type: 'string', ...(flag.multiple ? { multiple: true } : {}) };
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: table, strict: true, allowPositionals: true });
  } catch (error) {
    // parseArgs' own messages name the flag: "Unknown option '--bogus'", "Option '--seed <value>' argument missing".
    // The rest of the unknown-option message is advice about positionals, which we do not take.
    if (error instanceof TypeError) throw new OptionsError(error.message.split('. To specify a positional')[0] ?? error.message);
    throw error;
  }
  if (parsed.positionals.length > 0) throw new OptionsError(`Unexpected argument ${parsed.positionals[0]}: options start with --`);
  const given: Record<string, string | boolean | string[] | undefined> = {};
  const values: Partial<T> = {};
  for (const flag of flags) {
    const raw = parsed.values[flag.name];
    if (raw === undefined) continue;
    if (flag.kind === 'switch') {
      given[flag.name] = raw === true;
      if (raw === true) flag.set?.(values);
      continue;
    }
    const texts = (Array.isArray(raw) ? raw : [raw]).map(String);
    given[flag.name] = flag.multiple ? texts : texts[0];
    for (const text of texts) flag.set?.(values, text, `--${flag.name}`);
  }
  return { values, given, help: parsed.values.help === true };
}

/** The first problem any flag's check finds in the resolved values, thrown as an OptionsError. */
export function checkFlags<T>(flags: readonly Flag<T>[], values: T): void {
  for (const flag of flags) {
    const problem = flag.check?.(values);
    if (problem) throw new OptionsError(problem);
  }
}

/** The usage text: one line per flag, with its value, description and default, from the definitions. */
export function usageText<T>(flags: readonly Flag<T>[], defaults: T, heading: string): string {
  const left = (flag: Flag<T>) => `--${flag.name}${flag.kind === 'value' ? ` ${flag.placeholder}` : ''}`;
  const width = Math.max(...flags.map((flag) => left(flag).length), '-h, --help'.length) + 2;
  const lines = flags.map((flag) => {
    const shown = flag.shown?.(defaults);
    const repeat = flag.kind === 'value' && flag.multiple ? ' (repeatable)' : '';
    return `  ${left(flag).padEnd(width)} ${flag.description}${repeat}${shown === undefined ? '' : ` (default ${shown})`}`;
  });
  return `${heading}\n\n${lines.join('\n')}\n  ${'-h, --help'.padEnd(width)} this text\n`;
}

/** For scripts: the command line → settings; prints the usage (--help) or the problem and exits. */
export function settingsFromCommandLine<T>(flags: readonly Flag<T>[], defaults: T, heading: string, argv: readonly string[] = process.argv.slice(2)): T {
  try {
    const parsed = parseFlags(flags, argv);
    if (parsed.help) {
      console.log(usageText(flags, defaults, heading));
      process.exit(0);
    }
    const settings: T = { ...defaults, ...parsed.values };
    checkFlags(flags, settings);
    return settings;
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    console.error(`${error.message}\n\nRun with --help for the options.`);
    process.exit(2);
  }
}

/** "10s", "500ms", "2m" or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match?.[1]) throw new OptionsError(`${flag} ${text}: write it like 10s, 500ms or 2m`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return Math.round(unit === 'ms' ? value : unit === 'm' ? value * 60_000 : value * 1000);
}

export const formatDuration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

export function parseNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new OptionsError(`${flag} ${text} is not a number`);
  return value;
}

export function oneOf<C extends string>(text: string, allowed: readonly C[], flag: string): C {
  if (!(allowed as readonly string[]).includes(text)) throw new OptionsError(`${flag} ${text}: choose one of ${allowed.join(', ')}`);
  return text as C;
}

export function wholeNumberProblem(flag: string, value: number, min: number, max: number): string | undefined {
  return Number.isInteger(value) && value >= min && value <= max ? undefined : `${flag} must be a whole number from ${min} to ${max} (got ${value})`;
}

/** Fields of T whose values are of type V. */
export type FieldsOf<T, V> = { [K in keyof T]-?: T[K] extends V ? K : never }[keyof T];

/**
 * Builders for the common kinds, each setting one field of T. The cast in `assign` is the one place
 * where a field name picked by type is written to: FieldsOf guarantees the value fits.
 */
function assign<T, V>(into: Partial<T>, field: FieldsOf<T, V>, value: V): void {
  (into as Record<FieldsOf<T, V>, V>)[field] = value;
}
const read = <T, V>(values: T, field: FieldsOf<T, V>): V => (values as Record<FieldsOf<T, V>, V>)[field];

export function wholeNumberFlag<T>(name: string, field: FieldsOf<T, number>, range: { min: number; max: number }, description: string, placeholder = 'N'): ValueFlag<T> {
  return {
    kind: 'value',
    name,
    placeholder,
    description,
    shown: (defaults) => String(read<T, number>(defaults, field)),
    set: (into, text, flag) => assign<T, number>(into, field, parseNumber(text, flag)),
    check: (values) => wholeNumberProblem(`--${name}`, read<T, number>(values, field), range.min, range.max),
  };
}

export function numberFlag<T>(name: string, field: FieldsOf<T, number>, description: string, placeholder = 'N'): ValueFlag<T> {
  return { kind: 'value', name, placeholder, description, shown: (defaults) => String(read<T, number>(defaults, field)), set: (into, text, flag) => assign<T, number>(into, field, parseNumber(text, flag)) };
}

export function probabilityFlag<T>(name: string, field: FieldsOf<T, number>, description: string): ValueFlag<T> {
  return {
    kind: 'value',
    name,
    placeholder: 'p',
    description,
    shown: (defaults) => String(read<T, number>(defaults, field)),
    set: (into, text, flag) => assign<T, number>(into, field, parseNumber(text, flag)),
    check: (values) => {
      const p = read<T, number>(values, field);
      return p >= 0 && p <= 1 ? undefined : `--${name} must be a probability between 0 and 1`;
    },
  };
}

export function durationFlag<T>(name: string, field: FieldsOf<T, number>, description: string): ValueFlag<T> {
  return {
    kind: 'value',
    name,
    placeholder: 'DURATION',
    description,
    shown: (defaults) => formatDuration(read<T, number>(defaults, field)),
    set: (into, text, flag) => assign<T, number>(into, field, parseDuration(text, flag)),
    check: (values) => (read<T, number>(values, field) > 0 ? undefined : `--${name} must be positive`),
  };
}

export function choiceFlag<T, C extends string>(name: string, field: FieldsOf<T, C>, choices: readonly C[], description: string): ValueFlag<T> {
  return {
    kind: 'value',
    name,
    placeholder: choices.join('|'),
    description,
    shown: (defaults) => read<T, C>(defaults, field),
    set: (into, text, flag) => assign<T, C>(into, field, oneOf(text, choices, flag)),
    // Values set in code (a test's overrides, a preset) are checked too.
    check: (values) => {
      const value = read<T, C>(values, field);
      return choices.includes(value) ? undefined : `--${name} ${String(value)}: choose one of ${choices.join(', ')}`;
    },
  };
}

export function textFlag<T>(name: string, field: FieldsOf<T, string | undefined>, placeholder: string, description: string): ValueFlag<T> {
  return {
    kind: 'value',
    name,
    placeholder,
    description,
    shown: (defaults) => read<T, string | undefined>(defaults, field),
    set: (into, text) => assign<T, string | undefined>(into, field, text),
  };
}

export function switchFlag<T>(name: string, field: FieldsOf<T, boolean>, description: string): SwitchFlag<T> {
  return { kind: 'switch', name, description, set: (into) => assign<T, boolean>(into, field, true) };
}

/** An http:// base URL, without trailing slashes. */
export function baseUrlFlag<T>(name: string, field: FieldsOf<T, string>, description: string): ValueFlag<T> {
  return {
    kind: 'value',
    name,
    placeholder: 'URL',
    description,
    shown: (defaults) => read<T, string>(defaults, field),
    set: (into, text) => assign<T, string>(into, field, text.replace(/\/+$/, '')),
    check: (values) => {
      const text = read<T, string>(values, field);
      try {
        return new URL(text).protocol === 'http:' ? undefined : `--${name} must be an http:// URL`;
      } catch {
        return `--${name} ${text} is not a URL`;
      }
    },
  };
}
