// Intl.Collator where the engine has none: ICU's root collation (what en
// uses) for Latin text, in three levels as ICU compares: first the base
// letters (spaces and punctuation, then symbols, currency signs, digits,
// letters; accents and case ignored; ae, oe and ss for the ligatures and
// sharp s), then the accents (acute before grave...), then the case (lower
// case first). Letters of other scripts compare by code point after the
// Latin ones. Options: sensitivity, numeric, caseFirst, ignorePunctuation,
// usage. ICU's full collation (contractions, every script's order) is out
// of reach here.

// The order of the characters before the letters, in ICU's root order.
const COLLATION_ORDER = '\t\n\r _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789';
// The combining marks in the order of their secondary weights (acute
// before grave before breve...); others after them by code point.
const ACCENT_ORDER = [0x301, 0x300, 0x306, 0x302, 0x30c, 0x30a, 0x308, 0x30b, 0x303, 0x307, 0x338, 0x327, 0x328, 0x304];
// Where the punctuation ends in COLLATION_ORDER (the symbols follow),
// and where the dollar sign is (the last before the digits).
const PUNCTUATION_END = COLLATION_ORDER.indexOf('`');
const DOLLAR = COLLATION_ORDER.indexOf('$') + 1;
// Latin letters ICU sorts as others with a difference at the second
// level, after every accent: lower case, and what each stands for.
const LATIN_VARIANTS = { __proto__: null, '\u00f8': 'o', '\u0111': 'd', '\u0142': 'l', '\u00f0': 'd', '\u0127': 'h', '\u00e6': 'ae', '\u0153': 'oe', '\u00df': 'ss' };
// Latin letters with a primary weight of their own, right after a letter.
const LATIN_AFTER = { __proto__: null, '\u0131': 'i', '\u014b': 'n', '\u00fe': 'z' };
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
      const rank = ACCENT_ORDER.indexOf(code);
      if (out.length > 0) out[out.length - 1][1] = out[out.length - 1][1] * 1000 + (rank >= 0 ? rank + 1 : code);
      continue;
    }
    const at = COLLATION_ORDER.indexOf(c);
    if (at >= 0 && at < PUNCTUATION_END && s.ignorePunctuation) continue;
    if (s.numeric && c >= '0' && c <= '9') {
      let j = i;
      while (j < chars.length && chars[j] >= '0' && chars[j] <= '9') j++;
      const digits = chars.slice(i, j).join('').replace(/^0+(?=.)/, '');
      out.push([1000 + digits.length * 10 + Number(digits[0]), 0, 0, digits]);
      i = j - 1;
      continue;
    }
    const lower = c === '\u00df' ? c : c.toLowerCase();
    const upper = lower !== c;
    const tertiary = s.caseFirst === 'upper' ? (upper ? 0 : 1) : upper ? 1 : 0;
    const variant = LATIN_VARIANTS[lower];
    if (variant !== undefined) {
      for (let k = 0; k < variant.length; k++) out.push([2000 + variant.charCodeAt(k), k === 0 ? 999 : 0, tertiary]);
      continue;
    }
    let primary;
    if (at >= 0) primary = at + 1;
    else if (lower >= 'a' && lower <= 'z') primary = 2000 + lower.charCodeAt(0);
    else if (LATIN_AFTER[lower] !== undefined) primary = 2000.5 + LATIN_AFTER[lower].charCodeAt(0);
    else if (/[\p{L}\p{N}]/u.test(c)) primary = 3000 + lower.codePointAt(0);
    else {
      // Other punctuation and spaces after those listed, other symbols
      // after them, currency signs after the dollar, by code point.
      const point = lower.codePointAt(0) / 0x110000;
      if (/[\p{P}\p{Z}\s]/u.test(c)) {
        if (s.ignorePunctuation) continue;
        primary = PUNCTUATION_END - 0.5 + point / 2;
      } else {
        primary = /\p{Sc}/u.test(c) ? DOLLAR + point / 2 : DOLLAR - 0.5 + point / 2;
      }
    }
    out.push([primary, 0, tertiary]);
  }
  return out;
}

// The collation elements of `text`, kept for the next comparisons (a sort
// compares each string many times), up to 500 strings per collator.
function cachedElements(s, text) {
  s.cache ??= new Map();
  let elements = s.cache.get(text);
  if (elements === undefined) {
    if (s.cache.size >= 500) s.cache.clear();
    elements = collationElements(s, text);
    s.cache.set(text, elements);
  }
  return elements;
}

// -1, 0 or 1 as `x` sorts before, with or after `y`.
function collate(s, x, y) {
  const a = cachedElements(s, x);
  const b = cachedElements(s, y);
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
