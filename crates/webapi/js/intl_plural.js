// Intl.PluralRules where the engine has none: English's rules (CLDR),
// cardinal (one, other) and ordinal (one, two, few, other), on the number
// as the digit options format it (intl_decimal.js), as ICU selects.

const pluralSlots = new WeakMap();

class PluralRules {
  constructor(locales = undefined, options = undefined) {
    if (new.target === undefined) throw new TypeError("Constructor Intl.PluralRules requires 'new'");
    intlOptionOwner = 'Intl.PluralRules';
    // ICU's plural rules are the language's: V8 resolves en-US to en.
    resolveIntlLocale(locales);
    const locale = 'en';
    options = intlOptions(options);
    intlOption(options, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
    const type = intlOption(options, 'type', ['cardinal', 'ordinal'], 'cardinal');
    // The digit options, read and rounded as NumberFormat's decimal style.
    const digits = numberSlots.get(new NumberFormat(undefined, {
      minimumIntegerDigits: options.minimumIntegerDigits,
      minimumFractionDigits: options.minimumFractionDigits,
      maximumFractionDigits: options.maximumFractionDigits,
      minimumSignificantDigits: options.minimumSignificantDigits,
      maximumSignificantDigits: options.maximumSignificantDigits,
    }));
    pluralSlots.set(this, { locale, type, digits });
  }

  select(value) {
    const s = intlSlots(pluralSlots, this, 'Intl.PluralRules.prototype.select');
    return pluralOf(s, Number(value));
  }

  resolvedOptions() {
    const s = intlSlots(pluralSlots, this, 'Intl.PluralRules.prototype.resolvedOptions');
    const r = { locale: s.locale, type: s.type, minimumIntegerDigits: s.digits.minimumIntegerDigits };
    if (s.digits.minimumFractionDigits !== undefined) {
      r.minimumFractionDigits = s.digits.minimumFractionDigits;
      r.maximumFractionDigits = s.digits.maximumFractionDigits;
    }
    if (s.digits.minimumSignificantDigits !== undefined) {
      r.minimumSignificantDigits = s.digits.minimumSignificantDigits;
      r.maximumSignificantDigits = s.digits.maximumSignificantDigits;
    }
    r.pluralCategories = s.type === 'cardinal' ? ['one', 'other'] : ['few', 'one', 'two', 'other'];
    return r;
  }
}
intlClass(PluralRules, 'Intl.PluralRules');

// English's category for `n` formatted by the slots' digit options.
function pluralOf(s, n) {
  if (!Number.isFinite(n)) return 'other';
  const text = numberPartsText(formatNumberParts({ ...s.digits, useGrouping: false, signDisplay: 'never' }, n));
  const [int, fraction] = text.split('.');
  if (s.type === 'cardinal') return int === '1' && fraction === undefined ? 'one' : 'other';
  if (fraction !== undefined) return 'other';
  const i = Number(int.slice(-2));
  const mod10 = i % 10;
  if (mod10 === 1 && i !== 11) return 'one';
  if (mod10 === 2 && i !== 12) return 'two';
  if (mod10 === 3 && i !== 13) return 'few';
  return 'other';
}
