// Intl.DateTimeFormat's formatRange where the engine has none: ICU's
// interval formats for en-US, "start - end" (a thin space, an en dash, a
// thin space) with the fields both dates share written once: "Jan 1 - 4,
// 2026", "Jan 1 - Feb 10, 2026", "1/1/26, 1:00 - 2:00 AM". Dates written
// with numbers only are repeated whole ("1/1/26 - 1/4/26"), as ICU does; a
// pattern without the field the dates differ in gets it ("January 1, 2026
// - February 5, 2027" for month and day alone).

const RANGE_SEPARATOR = '\u2009\u2013\u2009';
const TIME_PARTS = ['hour', 'minute', 'second', 'fractionalSecond', 'dayPeriod', 'timeZoneName'];

function rangeText(parts) {
  let text = '';
  for (const part of parts) text += part.value;
  return text;
}

// The parts of `parts` before the first of type `type` (all if none).
function partsBefore(parts, type) {
  const i = parts.findIndex(p => p.type === type);
  return i < 0 ? parts : parts.slice(0, i);
}

function formatDateRange(s, x, y) {
  const a = formatDateParts(s, x);
  const b = formatDateParts(s, y);
  const fa = dateFieldsAt(s.zone, x);
  const fb = dateFieldsAt(s.zone, y);
  const f = s.dateStyle !== undefined || s.timeStyle !== undefined ? styleFields(s) : s;
  const hasTime = f.hour !== undefined || f.minute !== undefined || f.second !== undefined;
  const hasDate = f.year !== undefined || f.month !== undefined || f.day !== undefined || f.weekday !== undefined;
  const sameDay = fa.year === fb.year && fa.month === fb.month && fa.day === fb.day;
  // Dates that differ only where the pattern does not look are one date,
  // but for times of different days.
  if (rangeText(a) === rangeText(b) && (sameDay || hasDate || !hasTime)) return datePartsText(a);
  const whole = (p, q) => rangeText(p) + RANGE_SEPARATOR + rangeText(q);
  if (hasTime) {
    if (!sameDay) {
      if (hasDate) return whole(a, b);
      const dated = { ...f, year: 'numeric', month: 'numeric', day: 'numeric', dateStyle: undefined, timeStyle: undefined, hourCycle: s.hourCycle, zone: s.zone };
      return whole(formatDateParts(dated, x), formatDateParts(dated, y));
    }
    // The same day: the date once, then the times; the day period once
    // when both have the same.
    const first = a.findIndex(p => TIME_PARTS.includes(p.type));
    const startTime = a.slice(first);
    const period = startTime.findIndex(p => p.type === 'dayPeriod');
    const samePeriod = period >= 0 && (fa.hour < 12) === (fb.hour < 12);
    const start = samePeriod ? startTime.slice(0, period - 1) : startTime;
    return rangeText(a.slice(0, first)) + rangeText(start) + RANGE_SEPARATOR + rangeText(b.slice(b.findIndex(p => TIME_PARTS.includes(p.type))));
  }
  const textMonth = f.month === 'short' || f.month === 'long' || f.month === 'narrow';
  if (!textMonth) return whole(a, b);
  if (fa.year !== fb.year) {
    if (f.year !== undefined) return whole(a, b);
    const dated = { ...f, year: 'numeric', dateStyle: undefined, timeStyle: undefined, hourCycle: s.hourCycle, zone: s.zone };
    return whole(formatDateParts(dated, x), formatDateParts(dated, y));
  }
  // The same year: the start without it (nor the literal before it).
  const year = a.findIndex(p => p.type === 'year');
  const start = year < 0 ? a : [...a.slice(0, year - 1), ...a.slice(year + 1)];
  if (fa.month !== fb.month || f.weekday !== undefined || f.day === undefined) return rangeText(start) + RANGE_SEPARATOR + rangeText(b);
  // The same month: the end from its day on.
  return rangeText(start) + RANGE_SEPARATOR + rangeText(b.slice(b.findIndex(p => p.type === 'day')));
}
