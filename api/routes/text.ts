import { z } from 'zod';

/**
 * Text a person typed: names, venues, descriptions, payment tokens. Control characters have no
 * use in them and do harm downstream (Postgres refuses U+0000 in text, a 500; the rest end up in
 * logs, CSV exports and other people's screens), and a lone UTF-16 surrogate cannot be stored as
 * UTF-8 (it would silently become U+FFFD): both are refused with 400 like any other bad field.
 */
const isControl = (code: number) => code < 0x20 || code === 0x7f;
/** Free text keeps its line breaks and tabs. */
const isLayout = (code: number) => code === 0x09 || code === 0x0a || code === 0x0d;
const LONE_SURROGATE = /\p{Cs}/u;

function hasControl(value: string, allowLayout: boolean): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (isControl(code) && !(allowLayout && isLayout(code))) return true;
  }
  return false;
}
const wellFormed = (value: string) => !LONE_SURROGATE.test(value);

/** One line of text: no control characters at all. */
export const singleLineText = () =>
  z
    .string()
    .refine((value) => !hasControl(value, false), 'Control characters are not allowed')
    .refine(wellFormed, 'Not well-formed Unicode (a lone surrogate)');

/** Several lines of text: line breaks and tabs allowed, other control characters not. */
export const multiLineText = () =>
  z
    .string()
    .refine((value) => !hasControl(value, true), 'Control characters other than line breaks and tabs are not allowed')
    .refine(wellFormed, 'Not well-formed Unicode (a lone surrogate)');
