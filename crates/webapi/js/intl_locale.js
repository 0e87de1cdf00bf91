// Intl where the engine has none (QuickJS): what every Intl service of
// this group shares. There is one locale's data, en-US, as V8's ICU formats
// it: a requested `en` or `en-US` resolves to itself, any other locale to
// en-US (its text is formatted as en-US's), and `supportedLocalesOf` keeps
// only the en and en-US tags. Locale tags are checked and canonicalized
// (language lower case, script title case, region upper case) as
// ECMA-402's CanonicalizeLocaleList does for well-formed tags.

const INTL_DEFAULT_LOCALE = 'en-US';
const LOCALE_TAG = /^([a-z]{2,3}|[a-z]{5,8})(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(-[0-9a-wy-z](-[a-z0-9]{2,8})+)*(-x(-[a-z0-9]{1,8})+)?$/i;

// One tag, canonical: RangeError if it is not a well-formed language tag.
function canonicalLocaleTag(value) {
  const text = String(value);
  if (!LOCALE_TAG.test(text)) throw new RangeError(`Incorrect locale information provided`);
  const parts = text.toLowerCase().split('-');
  for (let i = 1; i < parts.length; i++) {
    if (parts[i - 1].length === 1) break;
    if (parts[i].length === 4 && i === 1) parts[i] = parts[i][0].toUpperCase() + parts[i].slice(1);
    else if (parts[i].length === 2 || (parts[i].length === 3 && /^[0-9]/.test(parts[i]))) parts[i] = parts[i].toUpperCase();
  }
  return parts.join('-');
}

// CanonicalizeLocaleList: the tags of `locales`, canonical, without repeats.
function canonicalLocaleList(locales) {
  if (locales === undefined) return [];
  const list = typeof locales === 'string' || (typeof locales === 'object' && locales !== null && locales[intlLocaleTag] !== undefined) ? [locales] : Object(locales);
  const length = Math.min(Math.max(Math.trunc(Number(list.length)) || 0, 0), 2 ** 32 - 1);
  const seen = [];
  for (let i = 0; i < length; i++) {
    if (!(i in list)) continue;
    const item = list[i];
    if (typeof item !== 'string' && (typeof item !== 'object' || item === null)) throw new TypeError('Language ID should be string or object.');
    const tagText = canonicalLocaleTag(typeof item === 'object' && item[intlLocaleTag] !== undefined ? item[intlLocaleTag] : item);
    if (!seen.includes(tagText)) seen.push(tagText);
  }
  return seen;
}
const intlLocaleTag = Symbol('locale tag');

// The locale a service resolves to: the first of `locales` that is en or
// en-US (without extensions), else en-US.
function resolveIntlLocale(locales) {
  for (const requested of canonicalLocaleList(locales)) {
    const base = requested.split('-u-')[0].split('-x-')[0];
    if (base === 'en' || base === 'en-US') return base;
  }
  return INTL_DEFAULT_LOCALE;
}

// SupportedLocalesOf: the en and en-US tags among `locales`.
function supportedIntlLocales(locales, options) {
  const list = canonicalLocaleList(locales);
  if (options !== undefined) intlOption(Object(options), 'localeMatcher', ['lookup', 'best fit'], 'best fit');
  return list.filter(l => {
    const base = l.split('-u-')[0].split('-x-')[0];
    return base === 'en' || base === 'en-US';
  });
}

// GetOption: `options[name]` as a string among `values` (or a boolean when
// `values` is 'boolean'), `fallback` when undefined.
function intlOption(options, name, values, fallback) {
  let value = options[name];
  if (value === undefined) return fallback;
  if (values === 'boolean') return Boolean(value);
  value = String(value);
  if (values !== undefined && !values.includes(value)) {
    throw new RangeError(`Value ${value} out of range for ${intlOptionOwner} options property ${name}`);
  }
  return value;
}
// The constructor whose options are read, for GetOption's messages.
let intlOptionOwner = 'Intl';

// GetNumberOption: `options[name]` as an integer in [min, max].
function intlNumberOption(options, name, min, max, fallback) {
  const value = options[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (Number.isNaN(n) || n < min || n > max) throw new RangeError(`${name} value is out of range.`);
  return Math.floor(n);
}

// CoerceOptionsToObject / GetOptionsObject.
function intlOptions(options) {
  return options === undefined ? { __proto__: null } : Object(options);
}

// Defines the methods of `methods` on `target` as built-in methods are
// (not enumerable), and the class's toStringTag.
function intlClass(cls, name) {
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
  Object.defineProperty(cls, 'supportedLocalesOf', {
    value: { supportedLocalesOf(locales, options = undefined) { return supportedIntlLocales(locales, options); } }.supportedLocalesOf,
    writable: true, configurable: true,
  });
  for (const key of Object.getOwnPropertyNames(cls.prototype)) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(cls.prototype, key);
    d.enumerable = false;
    Object.defineProperty(cls.prototype, key, d);
  }
}

// The internal slots of an Intl object, checked.
function intlSlots(map, object, what) {
  const slots = typeof object === 'object' && object !== null ? map.get(object) : undefined;
  if (slots === undefined) throw new TypeError(`Method ${what} called on incompatible receiver ${typeof object === 'object' ? '#<Object>' : String(object)}`);
  return slots;
}
