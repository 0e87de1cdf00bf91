// Intl.Collator where the engine has none: an approximation of ICU's root
// collation (what en uses) for Latin text, in three levels as ICU compares:
// first the base letters (whitespace and punctuation, then symbols, then
// digits, then letters; accents and case ignored), then the accents, then
// the case (lower case first). Letters outside Latin compare by code point
// after the Latin ones. Options: sensitivity, numeric, caseFirst,
// ignorePunctuation, usage. Full ICU collation (contractions, every
// script's order) is out of reach here.

// The order of the characters before the letters, in ICU's root order.
const COLLATION_ORDER = ' \t\n\r_-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789';
const collatorSlots = new WeakMap();

class Collator {
  constructor(locales = undefined, options = undefined) {
    intlOptionOwner = 'Intl.Collator';
    const locale = resolveIntlLocale(locales);
    options = intlOptions(options);
    const usage = intlOption(options, 'usage', ['sort', 'search'], 'sort');
    intlOption(options, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
    intlOption(options, 'collation', undefined, undefined);
    const numeric = intlOption(options, 'numeric', 'boolean', false);
    const caseFirst = intlOption(options, 'caseFirst', ['upper', 'lower', 'false'], 'false');
    const sensitivity = intlOption(options, 'sensitivity', ['base', 'accent', 'case', 'variant'], 'variant');
    const ignorePunctuation = intlOption(options, 'ignorePunctuation', 'boolean', false);
    collatorSlots.set(this, { locale, usage, sensitivity, ignorePunctuation, numeric, caseFirst });
  }

  get compare() {
    const s = intlSlots(collatorSlots, this, 'get Intl.Collator.prototype.compare');
    return s.bound ??= (x, y) => collate(s, String(x), String(y));
  }

  resolvedOptions() {
    const s = intlSlots(collatorSlots, this, 'Intl.Collator.prototype.resolvedOptions');
    return { locale: s.locale, usage: s.usage, sensitivity: s.sensitivity, ignorePunctuation: s.ignorePunctuation, collation: 'default', numeric: s.numeric, caseFirst: s.caseFirst };
  }
}
intlClass(Collator, 'Intl.Collator');

// The collation elements of `text`: [primary, secondary, tertiary] each.
function collationElements(s, text) {
  const out = [];
  const chars = Array.from(text.normalize('NFD'));
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const code = c.codePointAt(0);
    if (code >= 0x300 && code <= 0x36f) {
      if (out.length > 0) out[out.length - 1][1] += code;
      continue;
    }
    const at = COLLATION_ORDER.indexOf(c);
    if (at >= 0 && at < COLLATION_ORDER.indexOf('`') && s.ignorePunctuation) continue;
    if (s.numeric && c >= '0' && c <= '9') {
      let j = i;
      while (j < chars.length && chars[j] >= '0' && chars[j] <= '9') j++;
      const digits = chars.slice(i, j).join('').replace(/^0+(?=.)/, '');
      out.push([1000 + digits.length * 10 + Number(digits[0]), 0, 0, digits]);
      i = j - 1;
      continue;
    }
    // Sharp s sorts as "ss", after it at the third level.
    if (c === '\u00df') {
      out.push([2000 + 115, 0, 2], [2000 + 115, 0, 2]);
      continue;
    }
    const lower = c.toLowerCase();
    const upper = lower !== c;
    let primary;
    if (at >= 0) primary = at + 1;
    else if (lower >= 'a' && lower <= 'z') primary = 2000 + lower.charCodeAt(0);
    else primary = 3000 + lower.codePointAt(0);
    const tertiary = s.caseFirst === 'upper' ? (upper ? 0 : 1) : upper ? 1 : 0;
    out.push([primary, 0, tertiary]);
  }
  return out;
}

// -1, 0 or 1 as `x` sorts before, with or after `y`.
function collate(s, x, y) {
  const a = collationElements(s, x);
  const b = collationElements(s, y);
  const levels = s.sensitivity === 'base' ? [0] : s.sensitivity === 'accent' ? [0, 1] : s.sensitivity === 'case' ? [0, 2] : [0, 1, 2];
  for (const level of levels) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i][level] !== b[i][level]) return a[i][level] < b[i][level] ? -1 : 1;
      if (level === 0 && a[i][3] !== b[i][3] && a[i][3] !== undefined) return a[i][3] < b[i][3] ? -1 : 1;
    }
    if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  }
  return 0;
}
