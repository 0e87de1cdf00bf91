// IANA time zones Intl.DateTimeFormat can compute where the engine has
// none: a few dozen of the most used, each a standard offset and, where
// it has daylight saving time, today's rule (the United States' since 2007,
// the European Union's since 1996, south-east Australia's since 2008),
// applied to every year: a date before its rule began may be an hour off.
// Names as ICU gives them in en-US (a short name only where en-US has one:
// EST, PDT...; else the offset, GMT+1).

// [name, standard offset in minutes, rule, short standard, short daylight,
// long standard, long daylight].
const ZONE_TABLE = [
  ['America/New_York', -300, 'us', 'EST', 'EDT', 'Eastern Standard Time', 'Eastern Daylight Time'],
  ['America/Toronto', -300, 'us', 'EST', 'EDT', 'Eastern Standard Time', 'Eastern Daylight Time'],
  ['America/Chicago', -360, 'us', 'CST', 'CDT', 'Central Standard Time', 'Central Daylight Time'],
  ['America/Denver', -420, 'us', 'MST', 'MDT', 'Mountain Standard Time', 'Mountain Daylight Time'],
  ['America/Phoenix', -420, '', 'MST', '', 'Mountain Standard Time', ''],
  ['America/Los_Angeles', -480, 'us', 'PST', 'PDT', 'Pacific Standard Time', 'Pacific Daylight Time'],
  ['America/Vancouver', -480, 'us', 'PST', 'PDT', 'Pacific Standard Time', 'Pacific Daylight Time'],
  ['America/Anchorage', -540, 'us', 'AKST', 'AKDT', 'Alaska Standard Time', 'Alaska Daylight Time'],
  ['Pacific/Honolulu', -600, '', 'HST', '', 'Hawaii-Aleutian Standard Time', ''],
  ['America/Sao_Paulo', -180, '', '', '', 'Brasilia Standard Time', ''],
  ['Europe/London', 0, 'eu', '', '', 'Greenwich Mean Time', 'British Summer Time'],
  ['Europe/Dublin', 0, 'eu', '', '', 'Greenwich Mean Time', 'Irish Standard Time'],
  ['Europe/Lisbon', 0, 'eu', '', '', 'Western European Standard Time', 'Western European Summer Time'],
  ['Europe/Paris', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Berlin', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Madrid', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Rome', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Amsterdam', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Brussels', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Vienna', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Zurich', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Stockholm', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Warsaw', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Prague', 60, 'eu', '', '', 'Central European Standard Time', 'Central European Summer Time'],
  ['Europe/Athens', 120, 'eu', '', '', 'Eastern European Standard Time', 'Eastern European Summer Time'],
  ['Europe/Helsinki', 120, 'eu', '', '', 'Eastern European Standard Time', 'Eastern European Summer Time'],
  ['Asia/Dubai', 240, '', '', '', 'Gulf Standard Time', ''],
  ['Asia/Kolkata', 330, '', '', '', 'India Standard Time', ''],
  ['Asia/Singapore', 480, '', '', '', 'Singapore Standard Time', ''],
  ['Asia/Shanghai', 480, '', '', '', 'China Standard Time', ''],
  ['Asia/Hong_Kong', 480, '', '', '', 'Hong Kong Standard Time', ''],
  ['Asia/Tokyo', 540, '', '', '', 'Japan Standard Time', ''],
  ['Asia/Seoul', 540, '', '', '', 'Korean Standard Time', ''],
  ['Australia/Sydney', 600, 'au', '', '', 'Australian Eastern Standard Time', 'Australian Eastern Daylight Time'],
  ['Australia/Melbourne', 600, 'au', '', '', 'Australian Eastern Standard Time', 'Australian Eastern Daylight Time'],
];

// Names ICU resolves to another (its canonical one), in lower case.
const ZONE_ALIASES = { __proto__: null, 'asia/kolkata': 'Asia/Calcutta', 'asia/calcutta': 'Asia/Calcutta' };

// The zone named `lower` (lower case) from the table, or undefined.
function namedZone(lower) {
  const row = ZONE_TABLE.find(r => r[0].toLowerCase() === lower || (lower === 'asia/calcutta' && r[0] === 'Asia/Kolkata'));
  if (row === undefined) return undefined;
  const [name, standard, rule, shortStandard, shortDaylight, longStandard, longDaylight] = row;
  return { name: ZONE_ALIASES[lower] ?? name, standard, rule, names: [shortStandard, shortDaylight, longStandard, longDaylight] };
}

// The day of the month of the `n`th Sunday (n = -1: the last) of month
// `m` of year `y`.
function sundayOf(y, m, n) {
  if (n < 0) {
    const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    return last - new Date(Date.UTC(y, m, last)).getUTCDay();
  }
  return 1 + ((7 - new Date(Date.UTC(y, m, 1)).getUTCDay()) % 7) + 7 * (n - 1);
}

// Whether daylight saving time is on at time `t` in `zone`.
function daylightAt(zone, t) {
  const std = zone.standard * 60000;
  const y = new Date(t + std).getUTCFullYear();
  if (zone.rule === 'us') {
    const start = Date.UTC(y, 2, sundayOf(y, 2, 2), 2) - std;
    const end = Date.UTC(y, 10, sundayOf(y, 10, 1), 2) - std - 3600000;
    return t >= start && t < end;
  }
  if (zone.rule === 'eu') {
    return t >= Date.UTC(y, 2, sundayOf(y, 2, -1), 1) && t < Date.UTC(y, 9, sundayOf(y, 9, -1), 1);
  }
  if (zone.rule === 'au') {
    const end = Date.UTC(y, 3, sundayOf(y, 3, 1), 3) - std - 3600000;
    const start = Date.UTC(y, 9, sundayOf(y, 9, 1), 2) - std;
    return t < end || t >= start;
  }
  return false;
}

// The offset (minutes east of UTC) of `zone` at time `t`, and whether it
// is daylight saving time.
function namedZoneOffset(zone, t) {
  const daylight = daylightAt(zone, t);
  return { offset: zone.standard + (daylight ? 60 : 0), daylight };
}
