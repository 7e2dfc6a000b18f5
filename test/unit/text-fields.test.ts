import { describe, expect, it } from 'vitest';
import { multiLineText, singleLineText } from '../../api/routes/text.js';

describe('text fields', () => {
  it('accept any well-formed Unicode a person types', () => {
    for (const text of ['Zoë', 'Théâtre du Châtelet', 'شكسبير', '王菲', '🎭 Hamlet 🎟️', 'e\u0301', 'Ａ', '\u202eevil but printable']) {
      expect(singleLineText().safeParse(text).success, text).toBe(true);
      expect(multiLineText().safeParse(text).success, text).toBe(true);
    }
  });

  it('refuse every C0 control character and DEL on one line, and keep line breaks and tabs in free text', () => {
    for (let code = 0; code < 0x20; code += 1) {
      const text = `a${String.fromCharCode(code)}b`;
      expect(singleLineText().safeParse(text).success, `U+${code.toString(16)}`).toBe(false);
      expect(multiLineText().safeParse(text).success, `U+${code.toString(16)}`).toBe(code === 0x09 || code === 0x0a || code === 0x0d);
    }
    expect(singleLineText().safeParse('a\u007fb').success).toBe(false);
    expect(multiLineText().safeParse('a\u007fb').success).toBe(false);
  });

  it('refuse lone surrogates, which UTF-8 cannot store', () => {
    for (const text of ['\ud800', 'x\udfff', 'half \ud83c']) {
      expect(singleLineText().safeParse(text).success).toBe(false);
      expect(multiLineText().safeParse(text).success).toBe(false);
    }
  });
});
