// Intl.DateTimeFormat where the engine has none: en-US's patterns (as the
// ICU of V8 builds them from the requested fields, dateStyle and
// timeStyle), the Gregorian calendar, and the time zones this can compute:
// UTC (and its aliases), the fixed offsets Etc/GMT+N and Etc/GMT-N, and
// the process's local zone through the engine's Date (the default; its
// resolved name is UTC or the Etc/GMT name of its offset now, a half-hour
// zone's UTC: Date does not tell the IANA name), and the common IANA zones
// of intl_zones.js. Any other IANA zone is a RangeError, as V8 gives for an
// invalid zone: its rules are not here, and a time shown in the wrong zone
// would be wrong silently.

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const UTC_ALIASES = ['utc', 'etc/utc', 'etc/gmt', 'gmt', 'etc/uct', 'uct', 'etc/universal', 'universal', 'etc/zulu', 'zulu', 'etc/gmt0', 'gmt0', 'etc/greenwich', 'greenwich', 'etc/gmt+0', 'etc/gmt-0', 'gmt+0', 'gmt-0'];
const DATE_FIELDS = ['weekday', 'era', 'year', 'month', 'day', 'hour', 'minute', 'second'];
const STYLES = ['full', 'long', 'medium', 'short'];

const dateSlots = new WeakMap();

// The zone `name` names: `{ name, offset }` (minutes east of UTC) or
// `{ name, local: true }`.
function timeZoneOf(name) {
  if (name === undefined) {
    const now = new Date();
    const jan = new Date(now.getFullYear(), 0, 1).getTimezoneOffset();
    const jul = new Date(now.getFullYear(), 6, 1).getTimezoneOffset();
    if (jan === 0 && jul === 0) return { name: 'UTC', offset: 0 };
    // Computed through Date, daylight saving time included; named by its
    // offset now, as Etc/GMT-N (Date does not tell the IANA name).
    const off = -now.getTimezoneOffset();
    const name = off % 60 === 0 ? `Etc/GMT${off > 0 ? '-' : '+'}${Math.abs(off / 60)}` : 'UTC';
    return { name, local: true };
  }
  const text = String(name);
  const lower = text.toLowerCase();
  if (UTC_ALIASES.includes(lower)) return { name: 'UTC', offset: 0 };
  const m = /^etc\/gmt([+-])(\d{1,2})$/.exec(lower);
  if (m !== null && m[2][0] !== '0' && Number(m[2]) <= (m[1] === '+' ? 12 : 14)) {
    return { name: `Etc/GMT${m[1]}${Number(m[2])}`, offset: (m[1] === '+' ? -60 : 60) * Number(m[2]) };
  }
  const named = namedZone(lower);
  if (named !== undefined) return named;
  throw new RangeError(`Invalid time zone specified: ${text} (motu's Intl on QuickJS knows UTC, Etc/GMT+N, Etc/GMT-N and the zones of intl_zones.js only)`);
}

// The fields of time `t` in `zone`.
function dateFieldsAt(zone, t) {
  if (zone.local) {
    const d = new Date(t);
    return { year: d.getFullYear(), month: d.getMonth(), day: d.getDate(), weekday: d.getDay(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds(), ms: d.getMilliseconds(), offset: -d.getTimezoneOffset() };
  }
  let offset = zone.offset;
  let daylight = false;
  if (zone.standard !== undefined) ({ offset, daylight } = namedZoneOffset(zone, t));
  const d = new Date(t + offset * 60000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate(), weekday: d.getUTCDay(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), ms: d.getUTCMilliseconds(), offset, daylight };
}

// ToDateTimeOptions's defaults: which fields a formatter without any gets.
function dateDefaults(options, required, defaults) {
  let needDefaults = true;
  if (required === 'date' || required === 'any') {
    for (const f of ['weekday', 'year', 'month', 'day']) if (options[f] !== undefined) needDefaults = false;
  }
  if (required === 'time' || required === 'any') {
    for (const f of ['dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits']) if (options[f] !== undefined) needDefaults = false;
  }
  const dateStyle = options.dateStyle;
  const timeStyle = options.timeStyle;
  if (dateStyle !== undefined || timeStyle !== undefined) needDefaults = false;
  if (required === 'date' && timeStyle !== undefined) throw new TypeError('Invalid option : timeStyle');
  if (required === 'time' && dateStyle !== undefined) throw new TypeError('Invalid option : dateStyle');
  const added = {};
  if (needDefaults && (defaults === 'date' || defaults === 'all')) Object.assign(added, { year: 'numeric', month: 'numeric', day: 'numeric' });
  if (needDefaults && (defaults === 'time' || defaults === 'all')) Object.assign(added, { hour: 'numeric', minute: 'numeric', second: 'numeric' });
  return added;
}

class DateTimeFormat {
  constructor(locales = undefined, options = undefined) {
    makeDateTimeFormat(this, locales, options, 'any', 'date');
  }

  get format() {
    const s = intlSlots(dateSlots, this, 'get Intl.DateTimeFormat.prototype.format');
    return s.bound ??= date => datePartsText(formatDateParts(s, date));
  }

  formatToParts(date) {
    return formatDateParts(intlSlots(dateSlots, this, 'Intl.DateTimeFormat.prototype.formatToParts'), date);
  }

  formatRange(startDate, endDate) {
    const s = intlSlots(dateSlots, this, 'Intl.DateTimeFormat.prototype.formatRange');
    if (startDate === undefined || endDate === undefined) throw new TypeError('Invalid time value');
    return formatDateRange(s, Number(startDate), Number(endDate));
  }

  resolvedOptions() {
    const s = intlSlots(dateSlots, this, 'Intl.DateTimeFormat.prototype.resolvedOptions');
    const r = { locale: s.locale, calendar: 'gregory', numberingSystem: 'latn', timeZone: s.zone.name };
    if (s.hour !== undefined || s.timeStyle !== undefined) {
      r.hourCycle = s.hourCycle;
      r.hour12 = s.hourCycle === 'h11' || s.hourCycle === 'h12';
    }
    if (s.dateStyle === undefined && s.timeStyle === undefined) {
      for (const f of DATE_FIELDS) {
        // A 24-hour cycle's hours always have two digits.
        if (s[f] !== undefined) r[f] = f === 'hour' && (s.hourCycle === 'h23' || s.hourCycle === 'h24') ? '2-digit' : s[f];
        if (f === 'second' && s.fractionalSecondDigits !== undefined) r.fractionalSecondDigits = s.fractionalSecondDigits;
      }
      if (s.timeZoneName !== undefined) r.timeZoneName = s.timeZoneName;
    } else {
      if (s.dateStyle !== undefined) r.dateStyle = s.dateStyle;
      if (s.timeStyle !== undefined) r.timeStyle = s.timeStyle;
    }
    return r;
  }
}
intlClass(DateTimeFormat, 'Intl.DateTimeFormat');

// InitializeDateTimeFormat, with ToDateTimeOptions's `required` and
// `defaults` (what toLocaleDateString and toLocaleTimeString ask for).
function makeDateTimeFormat(object, locales, options, required, defaults) {
  intlOptionOwner = 'Intl.DateTimeFormat';
  const locale = resolveIntlLocale(locales);
  options = intlOptions(options);
  const s = { locale };
  intlOption(options, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
  intlOption(options, 'calendar', undefined, undefined);
  intlOption(options, 'numberingSystem', undefined, undefined);
  const hour12 = intlOption(options, 'hour12', 'boolean', undefined);
  const hourCycle = intlOption(options, 'hourCycle', ['h11', 'h12', 'h23', 'h24'], undefined);
  s.zone = timeZoneOf(options.timeZone);
  const added = dateDefaults(options, required, defaults);
  s.weekday = intlOption(options, 'weekday', ['narrow', 'short', 'long'], added.weekday);
  s.era = intlOption(options, 'era', ['narrow', 'short', 'long'], undefined);
  s.year = intlOption(options, 'year', ['2-digit', 'numeric'], added.year);
  s.month = intlOption(options, 'month', ['2-digit', 'numeric', 'narrow', 'short', 'long'], added.month);
  s.day = intlOption(options, 'day', ['2-digit', 'numeric'], added.day);
  intlOption(options, 'dayPeriod', ['narrow', 'short', 'long'], undefined);
  s.hour = intlOption(options, 'hour', ['2-digit', 'numeric'], added.hour);
  s.minute = intlOption(options, 'minute', ['2-digit', 'numeric'], added.minute);
  s.second = intlOption(options, 'second', ['2-digit', 'numeric'], added.second);
  s.fractionalSecondDigits = intlNumberOption(options, 'fractionalSecondDigits', 1, 3, undefined);
  s.timeZoneName = intlOption(options, 'timeZoneName', ['short', 'long', 'shortOffset', 'longOffset', 'shortGeneric', 'longGeneric'], undefined);
  intlOption(options, 'formatMatcher', ['basic', 'best fit'], 'best fit');
  s.dateStyle = intlOption(options, 'dateStyle', STYLES, undefined);
  s.timeStyle = intlOption(options, 'timeStyle', STYLES, undefined);
  if (s.dateStyle !== undefined || s.timeStyle !== undefined) {
    const explicit = ['weekday', 'era', 'year', 'month', 'day', 'hour', 'minute', 'second', 'fractionalSecondDigits', 'timeZoneName'].find(f => s[f] !== undefined && added[f] === undefined);
    if (explicit !== undefined) throw new TypeError(`Can't set option ${explicit} when ${s.dateStyle !== undefined ? 'dateStyle' : 'timeStyle'} is used`);
  }
  // V8's ICU resolves hour12: false for en-US to the h24 cycle.
  if (hour12 !== undefined) s.hourCycle = hour12 ? 'h12' : 'h24';
  else s.hourCycle = hourCycle ?? 'h12';
  dateSlots.set(object, s);
  return object;
}

// The fields a style stands for.
function styleFields(s) {
  const f = {};
  const d = s.dateStyle;
  if (d === 'full') Object.assign(f, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });
  else if (d === 'long') Object.assign(f, { month: 'long', day: 'numeric', year: 'numeric' });
  else if (d === 'medium') Object.assign(f, { month: 'short', day: 'numeric', year: 'numeric' });
  else if (d === 'short') Object.assign(f, { month: 'numeric', day: 'numeric', year: '2-digit' });
  const t = s.timeStyle;
  if (t !== undefined) Object.assign(f, { hour: 'numeric', minute: '2-digit' });
  if (t === 'full' || t === 'long' || t === 'medium') f.second = '2-digit';
  if (t === 'full') f.timeZoneName = 'long';
  else if (t === 'long') f.timeZoneName = 'short';
  return f;
}

// The pattern for fields `f`: a list of field names and literal texts
// (objects `{ literal }`).
function datePattern(s, f) {
  const date = [];
  const lit = value => ({ literal: value });
  const textMonth = f.month === 'short' || f.month === 'long' || f.month === 'narrow';
  if (f.month !== undefined) {
    if (f.weekday !== undefined) date.push('weekday', lit(', '));
    date.push('month');
    if (textMonth) {
      if (f.day !== undefined) date.push(lit(' '), 'day');
      if (f.year !== undefined) date.push(lit(f.day !== undefined ? ', ' : ' '), 'year');
    } else {
      if (f.day !== undefined) date.push(lit('/'), 'day');
      // With an era, a month and year alone are apart: "12 1936 AD".
      if (f.year !== undefined) date.push(lit(f.day === undefined && f.era !== undefined ? ' ' : '/'), 'year');
    }
    if (f.era !== undefined) date.push(lit(' '), 'era');
  } else {
    // ICU's order without a month: "14 Wednesday", "1979 Tue", but
    // "Tue 79".
    const order = f.year === '2-digit' && f.weekday === 'short' && f.era === undefined ? ['weekday', 'day', 'year', 'era'] : ['day', 'year', 'era', 'weekday'];
    for (const name of order) {
      if (f[name] === undefined) continue;
      if (date.length > 0) date.push(lit(' '));
      date.push(name);
    }
  }
  const time = [];
  if (f.hour !== undefined) {
    time.push('hour');
    if (f.minute !== undefined) time.push(lit(':'), 'minute');
    if (f.second !== undefined) time.push(lit(':'), 'second');
  } else if (f.minute !== undefined) {
    time.push('minute');
    if (f.second !== undefined) time.push(lit(':'), 'second');
  } else if (f.second !== undefined) {
    time.push('second');
  }
  if (f.second !== undefined && f.fractionalSecondDigits !== undefined) time.push(lit('.'), 'fractionalSecond');
  // ICU puts a narrow no-break space before AM and PM; V8's format()
  // (datePartsText) gives a plain space instead, formatToParts keeps it.
  if (f.hour !== undefined && (s.hourCycle === 'h11' || s.hourCycle === 'h12')) time.push(lit('\u202f'), 'dayPeriod');
  if (f.timeZoneName !== undefined) {
    if (time.length > 0) time.push(lit(' '));
    time.push('timeZoneName');
  }
  if (date.length === 0) return time;
  if (time.length === 0) return date;
  // ICU glues a date with a long month name to a time with "at".
  const joiner = f.month === 'long' ? ' at ' : ', ';
  return [...date, lit(joiner), ...time];
}

// The name of a zone at offset `offset` minutes, as `style` asks.
function zoneName(s, offset, style, daylight) {
  const names = s.zone.names;
  if (names !== undefined && style !== 'shortOffset' && style !== 'longOffset') {
    const name = names[(style === 'long' || style === 'longGeneric' ? 2 : 0) + (daylight ? 1 : 0)];
    if (name !== '') return name;
  }
  if (offset === 0) {
    if (style === 'shortOffset' || style === 'longOffset') return 'GMT';
    return s.zone.name === 'UTC' ? (style === 'long' || style === 'longGeneric' ? 'Coordinated Universal Time' : 'UTC') : 'GMT';
  }
  const sign = offset < 0 ? '-' : '+';
  const h = Math.floor(Math.abs(offset) / 60);
  const m = Math.abs(offset) % 60;
  if (style === 'long' || style === 'longOffset' || style === 'longGeneric') return `GMT${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
  return `GMT${sign}${h}${m === 0 ? '' : `:${String(m).padStart(2, '0')}`}`;
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

// FormatDateTimePattern: the parts of `date` (a time value or undefined).
function formatDateParts(s, date) {
  const t = date === undefined ? Date.now() : Number(date);
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) throw new RangeError('Invalid time value');
  const time = Math.trunc(t) + 0;
  const f = s.dateStyle !== undefined || s.timeStyle !== undefined ? styleFields(s) : s;
  const v = dateFieldsAt(s.zone, time);
  const parts = [];
  for (const item of datePattern(s, f)) {
    if (typeof item === 'object') {
      parts.push({ type: 'literal', value: item.literal });
      continue;
    }
    let value;
    const option = f[item];
    switch (item) {
      case 'weekday': value = option === 'long' ? WEEKDAYS[v.weekday] : option === 'short' ? WEEKDAYS[v.weekday].slice(0, 3) : WEEKDAYS[v.weekday][0]; break;
      case 'era': value = v.year > 0 ? (option === 'long' ? 'Anno Domini' : option === 'short' ? 'AD' : 'A') : (option === 'long' ? 'Before Christ' : option === 'short' ? 'BC' : 'B'); break;
      case 'year': {
        // The year of the era: 1 BC is year 0, shown as 1, era or not.
        const y = v.year <= 0 ? 1 - v.year : v.year;
        value = option === '2-digit' ? pad2(((y % 100) + 100) % 100) : String(y);
        break;
      }
      case 'month':
        if (option === 'numeric') value = String(v.month + 1);
        else if (option === '2-digit') value = pad2(v.month + 1);
        else value = option === 'long' ? MONTHS[v.month] : option === 'short' ? MONTHS[v.month].slice(0, 3) : MONTHS[v.month][0];
        break;
      case 'day': value = option === '2-digit' ? pad2(v.day) : String(v.day); break;
      case 'hour': {
        const hc = s.hourCycle;
        let h = v.hour;
        if (hc === 'h11') h %= 12;
        else if (hc === 'h12') h = h % 12 || 12;
        else if (hc === 'h24') h = h || 24;
        value = option === '2-digit' || hc === 'h23' || hc === 'h24' ? pad2(h) : String(h);
        break;
      }
      // Minutes and seconds have two digits next to the hour, minutes or
      // seconds; alone, one as needed, even when asked for two.
      case 'minute': value = f.hour !== undefined || f.second !== undefined ? pad2(v.minute) : String(v.minute); break;
      case 'second': value = f.minute !== undefined ? pad2(v.second) : String(v.second); break;
      case 'fractionalSecond': value = String(v.ms).padStart(3, '0').slice(0, f.fractionalSecondDigits); break;
      case 'dayPeriod': value = v.hour < 12 ? 'AM' : 'PM'; break;
      case 'timeZoneName': value = zoneName(s, v.offset, option, v.daylight); break;
    }
    parts.push({ type: item, value });
  }
  return parts;
}

function datePartsText(parts) {
  let text = '';
  for (const part of parts) text += part.value === '\u202f' ? ' ' : part.value;
  return text;
}
