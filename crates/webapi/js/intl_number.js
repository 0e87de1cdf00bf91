// Intl.NumberFormat where the engine has none: en-US's patterns for the
// decimal, percent, currency and unit styles, standard, compact,
// scientific and engineering notation, and the digit options of
// ECMA-402's SetNumberFormatDigitOptions, formatted from the decimal
// digits of the value (intl_decimal.js) as ICU does.

// ISO 4217 codes this knows: [symbol, narrow symbol, name for one, name
// for others, fraction digits]. Another code shows as itself.
const CURRENCIES = {
  __proto__: null,
  USD: ['$', '$', 'US dollar', 'US dollars', 2],
  EUR: ['\u20ac', '\u20ac', 'euro', 'euros', 2],
  GBP: ['\u00a3', '\u00a3', 'British pound', 'British pounds', 2],
  JPY: ['\u00a5', '\u00a5', 'Japanese yen', 'Japanese yen', 0],
  CHF: ['CHF', 'CHF', 'Swiss franc', 'Swiss francs', 2],
  CAD: ['CA$', '$', 'Canadian dollar', 'Canadian dollars', 2],
  AUD: ['A$', '$', 'Australian dollar', 'Australian dollars', 2],
  INR: ['\u20b9', '\u20b9', 'Indian rupee', 'Indian rupees', 2],
  CNY: ['CN\u00a5', '\u00a5', 'Chinese yuan', 'Chinese yuan', 2],
  KRW: ['\u20a9', '\u20a9', 'South Korean won', 'South Korean won', 0],
};

// The units ECMA-402 sanctions this has en text for: [short for one,
// short for others, narrow, long for one, long for others], each the text
// after the number.
const UNITS = {
  __proto__: null,
  byte: [' byte', ' byte', 'B', ' byte', ' bytes'],
  kilobyte: [' kB', ' kB', 'kB', ' kilobyte', ' kilobytes'],
  megabyte: [' MB', ' MB', 'MB', ' megabyte', ' megabytes'],
  gigabyte: [' GB', ' GB', 'GB', ' gigabyte', ' gigabytes'],
  meter: [' m', ' m', 'm', ' meter', ' meters'],
  kilometer: [' km', ' km', 'km', ' kilometer', ' kilometers'],
  mile: [' mi', ' mi', 'mi', ' mile', ' miles'],
  kilogram: [' kg', ' kg', 'kg', ' kilogram', ' kilograms'],
  millisecond: [' ms', ' ms', 'ms', ' millisecond', ' milliseconds'],
  second: [' sec', ' sec', 's', ' second', ' seconds'],
  minute: [' min', ' min', 'm', ' minute', ' minutes'],
  hour: [' hr', ' hr', 'h', ' hour', ' hours'],
  day: [' day', ' days', 'd', ' day', ' days'],
  percent: ['%', '%', '%', ' percent', ' percent'],
  celsius: ['\u00b0C', '\u00b0C', '\u00b0C', ' degree Celsius', ' degrees Celsius'],
  'kilometer-per-hour': [' km/h', ' km/h', 'km/h', ' kilometer per hour', ' kilometers per hour'],
};

// Compact notation's suffixes by power of a thousand: [short, long].
const COMPACT = [['', ''], ['K', ' thousand'], ['M', ' million'], ['B', ' billion'], ['T', ' trillion']];

const numberSlots = new WeakMap();

class NumberFormat {
  constructor(locales = undefined, options = undefined) {
    intlOptionOwner = 'Intl.NumberFormat';
    const locale = resolveIntlLocale(locales);
    options = intlOptions(options);
    intlOption(options, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
    const numberingSystem = intlOption(options, 'numberingSystem', undefined, undefined);
    if (numberingSystem !== undefined && !/^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i.test(numberingSystem)) throw new RangeError(`Invalid numberingSystem : ${numberingSystem}`);
    const style = intlOption(options, 'style', ['decimal', 'percent', 'currency', 'unit'], 'decimal');
    let currency = intlOption(options, 'currency', undefined, undefined);
    if (currency !== undefined && !/^[A-Za-z]{3}$/.test(currency)) throw new RangeError(`Invalid currency code : ${currency}`);
    const currencyDisplay = intlOption(options, 'currencyDisplay', ['code', 'symbol', 'narrowSymbol', 'name'], 'symbol');
    const currencySign = intlOption(options, 'currencySign', ['standard', 'accounting'], 'standard');
    const unit = intlOption(options, 'unit', undefined, undefined);
    if (unit !== undefined && !isSanctionedUnit(unit)) throw new RangeError(`Invalid unit argument for Intl.NumberFormat() '${unit}'`);
    const unitDisplay = intlOption(options, 'unitDisplay', ['short', 'narrow', 'long'], 'short');
    if (style === 'currency' && currency === undefined) throw new TypeError('Currency code is required with currency style.');
    if (style === 'unit' && unit === undefined) throw new TypeError('Unit is required with unit style.');
    if (currency !== undefined) currency = currency.toUpperCase();
    const notation = intlOption(options, 'notation', ['standard', 'scientific', 'engineering', 'compact'], 'standard');
    const currencyDigits = style === 'currency' ? (CURRENCIES[currency]?.[4] ?? 2) : 0;
    const slots = { locale, style, notation, minimumIntegerDigits: intlNumberOption(options, 'minimumIntegerDigits', 1, 21, 1) };
    const defaults = style === 'currency' ? [currencyDigits, currencyDigits] : style === 'percent' ? [0, 0] : [0, 3];
    let mnfd = options.minimumFractionDigits;
    let mxfd = options.maximumFractionDigits;
    const mnsd = options.minimumSignificantDigits;
    const mxsd = options.maximumSignificantDigits;
    if (mnsd !== undefined || mxsd !== undefined) {
      slots.rounding = 'significant';
      slots.minimumSignificantDigits = intlNumberOption(options, 'minimumSignificantDigits', 1, 21, 1);
      slots.maximumSignificantDigits = intlNumberOption(options, 'maximumSignificantDigits', slots.minimumSignificantDigits, 21, 21);
    } else if (mnfd !== undefined || mxfd !== undefined) {
      slots.rounding = 'fraction';
      mnfd = intlNumberOption(options, 'minimumFractionDigits', 0, 20, undefined);
      mxfd = intlNumberOption(options, 'maximumFractionDigits', 0, 20, undefined);
      if (mnfd === undefined) mnfd = Math.min(defaults[0], mxfd);
      else if (mxfd === undefined) mxfd = Math.max(defaults[1], mnfd);
      else if (mnfd > mxfd) throw new RangeError('maximumFractionDigits value is out of range.');
    } else if (notation === 'compact') {
      slots.rounding = 'compact';
      mnfd = 0;
      mxfd = 0;
    } else {
      slots.rounding = 'fraction';
      [mnfd, mxfd] = defaults;
    }
    if (slots.rounding !== 'significant') {
      slots.minimumFractionDigits = mnfd;
      slots.maximumFractionDigits = mxfd;
    }
    slots.compactDisplay = intlOption(options, 'compactDisplay', ['short', 'long'], 'short');
    slots.useGrouping = intlOption(options, 'useGrouping', 'boolean', true);
    slots.signDisplay = intlOption(options, 'signDisplay', ['auto', 'never', 'always', 'exceptZero'], 'auto');
    Object.assign(slots, { currency, currencyDisplay, currencySign, unit, unitDisplay });
    numberSlots.set(this, slots);
  }

  get format() {
    const slots = intlSlots(numberSlots, this, 'get Intl.NumberFormat.prototype.format');
    return slots.bound ??= value => numberPartsText(formatNumberParts(slots, value));
  }

  formatToParts(value) {
    return formatNumberParts(intlSlots(numberSlots, this, 'Intl.NumberFormat.prototype.formatToParts'), value);
  }

  resolvedOptions() {
    const s = intlSlots(numberSlots, this, 'Intl.NumberFormat.prototype.resolvedOptions');
    const r = { locale: s.locale, numberingSystem: 'latn', style: s.style };
    if (s.style === 'currency') Object.assign(r, { currency: s.currency, currencyDisplay: s.currencyDisplay, currencySign: s.currencySign });
    if (s.style === 'unit') Object.assign(r, { unit: s.unit, unitDisplay: s.unitDisplay });
    r.minimumIntegerDigits = s.minimumIntegerDigits;
    if (s.minimumFractionDigits !== undefined) {
      r.minimumFractionDigits = s.minimumFractionDigits;
      r.maximumFractionDigits = s.maximumFractionDigits;
    }
    if (s.minimumSignificantDigits !== undefined) {
      r.minimumSignificantDigits = s.minimumSignificantDigits;
      r.maximumSignificantDigits = s.maximumSignificantDigits;
    }
    r.useGrouping = s.useGrouping;
    r.notation = s.notation;
    if (s.notation === 'compact') r.compactDisplay = s.compactDisplay;
    r.signDisplay = s.signDisplay;
    return r;
  }
}
intlClass(NumberFormat, 'Intl.NumberFormat');

const SANCTIONED_UNITS = 'acre bit byte celsius centimeter day degree fahrenheit fluid-ounce foot gallon gigabit gigabyte gram hectare hour inch kilobit kilobyte kilogram kilometer liter megabit megabyte meter mile mile-scandinavian milliliter millimeter millisecond minute month ounce percent petabyte pound second stone terabit terabyte week yard year'.split(' ');

function isSanctionedUnit(unit) {
  const [a, b, ...rest] = unit.split('-per-');
  return rest.length === 0 && SANCTIONED_UNITS.includes(a) && (b === undefined || SANCTIONED_UNITS.includes(b));
}

// ToIntlMathematicalValue, enough for V8's: a BigInt as it is, anything
// else a Number.
function toNumeric(value) {
  if (typeof value === 'bigint') return value;
  const primitive = typeof value === 'object' && value !== null ? Object(value).valueOf() : value;
  return typeof primitive === 'bigint' ? primitive : Number(primitive);
}

// The text of a list of parts.
function numberPartsText(parts) {
  let text = '';
  for (const part of parts) text += part.value;
  return text;
}

// `d` rounded as the slots say.
function roundForSlots(s, d) {
  if (s.rounding === 'significant') return roundDecimal(d, s.maximumSignificantDigits);
  if (s.rounding === 'fraction') return roundFraction(d, s.maximumFractionDigits);
  // Compact rounding: two significant digits or the integer, whichever
  // keeps more.
  const bySignificant = roundDecimal(d, 2);
  return d.point - 2 < 0 ? bySignificant : roundFraction(d, 0);
}

// The parts of the number `d` (no sign, notation already applied).
function decimalParts(s, d, parts, grouping) {
  let int = integerDigits(d).padStart(s.minimumIntegerDigits, '0');
  let minFraction;
  if (s.rounding === 'significant') minFraction = Math.max(s.minimumSignificantDigits - (d.digits === '' ? 1 : d.point), 0);
  else if (s.rounding === 'fraction') minFraction = s.minimumFractionDigits;
  else minFraction = 0;
  const fraction = fractionDigits(d, minFraction);
  if (grouping && int.length > 3 && (s.notation !== 'compact' || int.length > 4)) {
    const first = int.length % 3 || 3;
    parts.push({ type: 'integer', value: int.slice(0, first) });
    for (let i = first; i < int.length; i += 3) {
      parts.push({ type: 'group', value: ',' });
      parts.push({ type: 'integer', value: int.slice(i, i + 3) });
    }
  } else {
    parts.push({ type: 'integer', value: int });
  }
  if (fraction !== '') {
    parts.push({ type: 'decimal', value: '.' });
    parts.push({ type: 'fraction', value: fraction });
  }
}

// FormatNumericToParts.
function formatNumberParts(s, value) {
  const x = toNumeric(value);
  const parts = [];
  const negative = typeof x === 'bigint' ? x < 0n : x < 0 || Object.is(x, -0);
  let number = [];
  let isZero = false;
  let pluralOne = false;
  let exponentText;
  if (typeof x === 'number' && Number.isNaN(x)) {
    number.push({ type: 'nan', value: 'NaN' });
  } else if (typeof x === 'number' && !Number.isFinite(x)) {
    number.push({ type: 'infinity', value: '\u221e' });
  } else {
    let d = decimalOf(x);
    if (s.style === 'percent') d = shiftDecimal(d, 2);
    let compact = 0;
    let exponent = 0;
    if (s.notation === 'compact') {
      const magnitude = d.digits === '' ? 0 : d.point - 1;
      compact = Math.min(Math.floor(Math.max(magnitude, 0) / 3), 4);
      let r = roundForSlots(s, shiftDecimal(d, -3 * compact));
      if (r.digits !== '' && r.point - 1 + 3 * compact >= 3 * (compact + 1) && compact < 4) {
        compact++;
        r = roundForSlots(s, shiftDecimal(d, -3 * compact));
      }
      d = r;
    } else if (s.notation === 'scientific' || s.notation === 'engineering') {
      const step = s.notation === 'engineering' ? 3 : 1;
      const magnitude = d.digits === '' ? 0 : d.point - 1;
      exponent = Math.floor(magnitude / step) * step;
      let r = roundForSlots(s, shiftDecimal(d, -exponent));
      if (r.digits !== '' && r.point - 1 >= step) {
        exponent += step;
        r = roundForSlots(s, shiftDecimal(d, -exponent));
      }
      d = r;
      exponentText = String(exponent);
    } else {
      d = roundForSlots(s, d);
    }
    isZero = d.digits === '';
    decimalParts(s, d, number, s.useGrouping);
    pluralOne = number.length === 1 && number[0].value === '1';
    if (exponentText !== undefined) {
      number.push({ type: 'exponentSeparator', value: 'E' });
      if (exponent < 0) number.push({ type: 'exponentMinusSign', value: '-' });
      number.push({ type: 'exponentInteger', value: String(Math.abs(exponent)) });
    }
    if (compact > 0) {
      // Currencies take the short suffixes whatever compactDisplay says.
      const suffix = COMPACT[compact][s.compactDisplay === 'long' && s.style !== 'currency' ? 1 : 0];
      if (suffix[0] === ' ') number.push({ type: 'literal', value: ' ' });
      number.push({ type: 'compact', value: suffix.trim() });
    }
  }
  let sign = '';
  switch (s.signDisplay) {
    case 'auto': sign = negative ? '-' : ''; break;
    case 'always': sign = negative ? '-' : '+'; break;
    case 'exceptZero': sign = isZero || Number.isNaN(x) ? '' : negative ? '-' : '+'; break;
    default: sign = '';
  }
  const accounting = s.style === 'currency' && s.currencySign === 'accounting' && sign === '-';
  if (accounting) parts.push({ type: 'literal', value: '(' });
  else if (sign !== '') parts.push({ type: sign === '-' ? 'minusSign' : 'plusSign', value: sign });
  if (s.style === 'currency') {
    const known = CURRENCIES[s.currency];
    if (s.currencyDisplay === 'name') {
      parts.push(...number, { type: 'literal', value: ' ' }, { type: 'currency', value: known === undefined ? s.currency : known[pluralOne ? 2 : 3] });
    } else {
      const symbol = s.currencyDisplay === 'code' || known === undefined ? s.currency : known[s.currencyDisplay === 'narrowSymbol' ? 1 : 0];
      parts.push({ type: 'currency', value: symbol });
      if (/[A-Za-z]$/.test(symbol)) parts.push({ type: 'literal', value: '\u00a0' });
      parts.push(...number);
    }
  } else if (s.style === 'percent') {
    parts.push(...number, { type: 'percentSign', value: '%' });
  } else if (s.style === 'unit') {
    parts.push(...number);
    const text = UNITS[s.unit];
    let suffix;
    if (text === undefined) suffix = s.unitDisplay === 'long' ? ` ${s.unit}${pluralOne ? '' : 's'}` : ` ${s.unit}`;
    else if (s.unitDisplay === 'narrow') suffix = text[2];
    else suffix = text[(s.unitDisplay === 'long' ? 3 : 0) + (pluralOne ? 0 : 1)];
    if (suffix[0] === ' ') parts.push({ type: 'literal', value: ' ' });
    parts.push({ type: 'unit', value: suffix.trim() });
  } else {
    parts.push(...number);
  }
  if (accounting) parts.push({ type: 'literal', value: ')' });
  return parts;
}
