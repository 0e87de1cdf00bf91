// Intl.RelativeTimeFormat where the engine has none: English's phrases
// ("in 3 days", "3 days ago", and with numeric: 'auto' "yesterday",
// "next week", "now"...) in the long, short and narrow styles, the number
// formatted by Intl.NumberFormat's decimal style.

// By unit: [long one, long other, short one, short other, narrow one,
// narrow other] and numeric: 'auto''s [last, this, next] in long, and in
// short and narrow.
const RELATIVE_UNITS = {
  __proto__: null,
  year: [['year', 'years', 'yr.', 'yr.', 'y', 'y'], ['last year', 'this year', 'next year'], ['last yr.', 'this yr.', 'next yr.']],
  quarter: [['quarter', 'quarters', 'qtr.', 'qtrs.', 'q', 'q'], ['last quarter', 'this quarter', 'next quarter'], ['last qtr.', 'this qtr.', 'next qtr.']],
  month: [['month', 'months', 'mo.', 'mo.', 'mo', 'mo'], ['last month', 'this month', 'next month'], ['last mo.', 'this mo.', 'next mo.']],
  week: [['week', 'weeks', 'wk.', 'wk.', 'w', 'w'], ['last week', 'this week', 'next week'], ['last wk.', 'this wk.', 'next wk.']],
  day: [['day', 'days', 'day', 'days', 'd', 'd'], ['yesterday', 'today', 'tomorrow'], ['yesterday', 'today', 'tomorrow']],
  hour: [['hour', 'hours', 'hr.', 'hr.', 'h', 'h'], [undefined, 'this hour', undefined], [undefined, 'this hour', undefined]],
  minute: [['minute', 'minutes', 'min.', 'min.', 'm', 'm'], [undefined, 'this minute', undefined], [undefined, 'this minute', undefined]],
  second: [['second', 'seconds', 'sec.', 'sec.', 's', 's'], [undefined, 'now', undefined], [undefined, 'now', undefined]],
};

const relativeSlots = new WeakMap();

class RelativeTimeFormat {
  constructor(locales = undefined, options = undefined) {
    intlOptionOwner = 'Intl.RelativeTimeFormat';
    const locale = resolveIntlLocale(locales);
    options = intlOptions(options);
    intlOption(options, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
    intlOption(options, 'numberingSystem', undefined, undefined);
    const style = intlOption(options, 'style', ['long', 'short', 'narrow'], 'long');
    const numeric = intlOption(options, 'numeric', ['always', 'auto'], 'always');
    relativeSlots.set(this, { locale, style, numeric, number: numberSlots.get(new NumberFormat()) });
  }

  format(value, unit) {
    return numberPartsText(relativeParts(intlSlots(relativeSlots, this, 'Intl.RelativeTimeFormat.prototype.format'), value, unit));
  }

  formatToParts(value, unit) {
    return relativeParts(intlSlots(relativeSlots, this, 'Intl.RelativeTimeFormat.prototype.formatToParts'), value, unit);
  }

  resolvedOptions() {
    const s = intlSlots(relativeSlots, this, 'Intl.RelativeTimeFormat.prototype.resolvedOptions');
    return { locale: s.locale, style: s.style, numeric: s.numeric, numberingSystem: 'latn' };
  }
}
intlClass(RelativeTimeFormat, 'Intl.RelativeTimeFormat');

// PartitionRelativeTimePattern.
function relativeParts(s, value, unit) {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new RangeError('Invalid time value');
  let u = String(unit);
  if (u.endsWith('s')) u = u.slice(0, -1);
  const data = RELATIVE_UNITS[u];
  if (data === undefined) throw new RangeError(`Invalid unit argument for format() '${String(unit)}'`);
  if (s.numeric === 'auto' && Number.isInteger(n) && Math.abs(n) <= 1) {
    const phrase = data[s.style === 'long' ? 1 : 2][n + 1];
    if (phrase !== undefined) return [{ type: 'literal', value: phrase }];
  }
  const past = n < 0 || Object.is(n, -0);
  const number = formatNumberParts(s.number, Math.abs(n)).map(p => ({ ...p, unit: u }));
  const one = number.length === 1 && number[0].value === '1';
  // Narrow units follow the number without a space: "in 3d".
  const word = (s.style === 'narrow' ? '' : ' ') + data[0][(s.style === 'long' ? 0 : s.style === 'short' ? 2 : 4) + (one ? 0 : 1)];
  return past ? [...number, { type: 'literal', value: `${word} ago` }] : [{ type: 'literal', value: 'in ' }, ...number, { type: 'literal', value: word }];
}
