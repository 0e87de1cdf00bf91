// The Intl global where the engine has none (QuickJS; V8 has ICU's), and
// the locale-sensitive methods of Number, BigInt, Date, String and Array
// that ECMA-402 defines on top of it: what the core's shims
// (intl_shim.js) call once this group is loaded.

// A constructor that, as ECMA-402's legacy ones, may be called without
// `new` (NumberFormat, DateTimeFormat, Collator), in front of class `C`.
function callableIntlConstructor(C, name) {
  const F = {
    [name]: function (locales = undefined, options = undefined) {
      return Reflect.construct(C, [locales, options], new.target ?? F);
    },
  }[name];
  Object.defineProperty(F, 'prototype', { value: C.prototype, writable: false, enumerable: false, configurable: false });
  Object.defineProperty(C.prototype, 'constructor', { value: F, writable: true, enumerable: false, configurable: true });
  Object.defineProperty(F, 'supportedLocalesOf', Object.getOwnPropertyDescriptor(C, 'supportedLocalesOf'));
  return F;
}

const Intl = {};
{
  const members = {
    getCanonicalLocales: { getCanonicalLocales(locales) { return canonicalLocaleList(locales); } }.getCanonicalLocales,
    supportedValuesOf: { supportedValuesOf(key) { return intlSupportedValues(String(key)); } }.supportedValuesOf,
    DateTimeFormat: callableIntlConstructor(DateTimeFormat, 'DateTimeFormat'),
    NumberFormat: callableIntlConstructor(NumberFormat, 'NumberFormat'),
    Collator: callableIntlConstructor(Collator, 'Collator'),
    PluralRules,
    RelativeTimeFormat,
    ListFormat,
    Segmenter,
  };
  for (const name of Object.keys(members)) {
    Object.defineProperty(Intl, name, { value: members[name], writable: true, enumerable: false, configurable: true });
  }
  Object.defineProperty(Intl, Symbol.toStringTag, { value: 'Intl', configurable: true });
}

// Intl.supportedValuesOf: what this group implements.
function intlSupportedValues(key) {
  switch (key) {
    case 'calendar': return ['gregory'];
    case 'collation': return [];
    case 'currency': return Object.keys(CURRENCIES).sort();
    case 'numberingSystem': return ['latn'];
    case 'timeZone': return ['UTC', ...ZONE_TABLE.map(row => namedZone(row[0].toLowerCase()).name)].sort();
    case 'unit': return Object.keys(UNITS).filter(u => !u.includes('-per-')).sort();
    default: throw new RangeError(`Invalid key : ${key}`);
  }
}

// The formatters the methods use without locales and options, made once.
let defaultNumberFormat;
const defaultDateFormats = {};
let defaultCollator;

function thisNumber(value, what) {
  if (typeof value === 'number') return value;
  if (value instanceof Number) return Number.prototype.valueOf.call(value);
  throw new TypeError(`${what} requires that 'this' be a Number`);
}

// Date.prototype's methods: `required` and `defaults` as ToDateTimeOptions.
function dateToLocale(date, locales, options, required, defaults) {
  const t = Date.prototype.getTime.call(date);
  if (Number.isNaN(t)) return 'Invalid Date';
  let slots;
  if (locales === undefined && options === undefined) {
    slots = defaultDateFormats[required] ??= dateSlots.get(makeDateTimeFormat({}, undefined, undefined, required, defaults));
  } else {
    slots = dateSlots.get(makeDateTimeFormat({}, locales, options, required, defaults));
  }
  return datePartsText(formatDateParts(slots, t));
}

// What the shims call, with their `this`.
const intlMethods = {
  numberToLocaleString(locales, options) {
    const x = thisNumber(this, 'Number.prototype.toLocaleString');
    const f = locales === undefined && options === undefined ? (defaultNumberFormat ??= new NumberFormat()) : new NumberFormat(locales, options);
    return f.format(x);
  },
  bigintToLocaleString(locales, options) {
    const x = BigInt.prototype.valueOf.call(this);
    const f = locales === undefined && options === undefined ? (defaultNumberFormat ??= new NumberFormat()) : new NumberFormat(locales, options);
    return f.format(x);
  },
  dateToLocaleString(locales, options) {
    return dateToLocale(this, locales, options, 'any', 'all');
  },
  dateToLocaleDateString(locales, options) {
    return dateToLocale(this, locales, options, 'date', 'date');
  },
  dateToLocaleTimeString(locales, options) {
    return dateToLocale(this, locales, options, 'time', 'time');
  },
  localeCompare(that, locales, options) {
    if (this === undefined || this === null) throw new TypeError('String.prototype.localeCompare called on null or undefined');
    const c = locales === undefined && options === undefined ? (defaultCollator ??= new Collator()) : new Collator(locales, options);
    return c.compare(String(this), String(that));
  },
  arrayToLocaleString(locales, options) {
    const array = Object(this);
    const length = Math.min(Math.max(Math.trunc(Number(array.length)) || 0, 0), Number.MAX_SAFE_INTEGER);
    let text = '';
    for (let i = 0; i < length; i++) {
      if (i > 0) text += ',';
      const item = array[i];
      if (item !== undefined && item !== null) text += String(item.toLocaleString(locales, options));
    }
    return text;
  },
};

defineGlobal('Intl', Intl);
