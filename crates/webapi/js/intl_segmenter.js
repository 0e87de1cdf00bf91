// Intl.Segmenter where the engine has none: an approximation of Unicode's
// text segmentation (UAX #29) as ICU does it for en. Graphemes: a code
// point with the combining marks, variation selectors, emoji modifiers and
// zero-width-joined pictographs after it, a CR LF pair, a pair of regional
// indicators (a flag). Words: runs of letters, digits, marks and
// underscores, joined across an apostrophe or period between them (and a
// comma between digits), runs of horizontal spaces, and every other
// grapheme alone; `isWordLike` for the runs with a letter or digit.
// Sentences: up to and including a line break, or the terminal
// punctuation, closing quotes and brackets and the spaces after it, except
// a period before a digit ("3.14"), before another character ("e.g.") or
// before text going on in lower case ("e.g. this"). Hangul syllable sequences and Indic conjuncts are beyond it.

const GRAPHEME = /\r\n|\p{RI}\p{RI}|[\s\S](?:\u200d\p{Extended_Pictographic}|[\p{M}\u200d\ufe0f\u{1f3fb}-\u{1f3ff}])*/gu;
const WORD = /[\p{L}\p{N}\p{M}_]+(?:(?:['\u2019.]|(?<=\p{N}),(?=\p{N}))[\p{L}\p{N}\p{M}_]+)*|[ \t\u00a0\u2000-\u200a\u3000]+|\r\n|\p{RI}\p{RI}|[\s\S](?:\u200d\p{Extended_Pictographic}|[\p{M}\u200d\ufe0f\u{1f3fb}-\u{1f3ff}])*/gu;
const WORD_LIKE = /[\p{L}\p{N}]/u;

const segmenterSlots = new WeakMap();

class Segmenter {
  constructor(locales = undefined, options = undefined) {
    intlOptionOwner = 'Intl.Segmenter';
    const locale = resolveIntlLocale(locales);
    options = intlOptions(options);
    intlOption(options, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
    const granularity = intlOption(options, 'granularity', ['grapheme', 'word', 'sentence'], 'grapheme');
    segmenterSlots.set(this, { locale, granularity });
  }

  segment(string) {
    const s = intlSlots(segmenterSlots, this, 'Intl.Segmenter.prototype.segment');
    return makeSegments(s.granularity, String(string));
  }

  resolvedOptions() {
    const s = intlSlots(segmenterSlots, this, 'Intl.Segmenter.prototype.resolvedOptions');
    return { locale: s.locale, granularity: s.granularity };
  }
}
intlClass(Segmenter, 'Intl.Segmenter');

const TERMINALS = '.!?\u2026';
const LINE_BREAKS = '\n\r\u0085\u2028\u2029';

// Where the sentences of `input` end.
function sentenceEnds(input) {
  const n = input.length;
  const ends = [];
  let i = 0;
  while (i < n) {
    const c = input[i];
    if (LINE_BREAKS.includes(c)) {
      i += c === '\r' && input[i + 1] === '\n' ? 2 : 1;
      ends.push(i);
      continue;
    }
    if (!TERMINALS.includes(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && TERMINALS.includes(input[j])) j++;
    while (j < n && '\'")]\u2019\u201d'.includes(input[j])) j++;
    const afterTerminal = j;
    while (j < n && ' \t\u00a0'.includes(input[j])) j++;
    if (j < n && LINE_BREAKS.includes(input[j])) j += input[j] === '\r' && input[j + 1] === '\n' ? 2 : 1;
    if (c === '.' && j < n) {
      let k = j;
      while (k < n && !/[\p{L}.!?\n\r]/u.test(input[k])) k++;
      if (j === afterTerminal || (k < n && /\p{Ll}/u.test(input[k]))) {
        i = j;
        continue;
      }
    }
    ends.push(j);
    i = j;
  }
  if (ends[ends.length - 1] !== n) ends.push(n);
  return ends;
}

// The segment data objects of `input`, in order.
function segmentList(granularity, input) {
  if (granularity === 'sentence') {
    let start = 0;
    return input === '' ? [] : sentenceEnds(input).map(end => {
      const data = { segment: input.slice(start, end), index: start, input };
      start = end;
      return data;
    });
  }
  const pattern = granularity === 'grapheme' ? GRAPHEME : WORD;
  const list = [];
  pattern.lastIndex = 0;
  let m;
  while (pattern.lastIndex < input.length && (m = pattern.exec(input)) !== null) {
    if (m[0] === '') break;
    const data = { segment: m[0], index: m.index, input };
    if (granularity === 'word') data.isWordLike = WORD_LIKE.test(m[0]);
    list.push(data);
  }
  return list;
}

const segmentsSlots = new WeakMap();
const SegmentsPrototype = {
  containing(index = undefined) {
    const s = intlSlots(segmentsSlots, this, '%Segments.prototype%.containing');
    const n = Math.trunc(Number(index)) || 0;
    if (n < 0 || n >= s.input.length) return undefined;
    s.list ??= segmentList(s.granularity, s.input);
    return s.list.find(d => n >= d.index && n < d.index + d.segment.length);
  },
  [Symbol.iterator]() {
    const s = intlSlots(segmentsSlots, this, '%Segments.prototype%[@@iterator]');
    const iterator = Object.create(SegmentIteratorPrototype);
    segmentsSlots.set(iterator, { list: segmentList(s.granularity, s.input), next: 0 });
    return iterator;
  },
};
const SegmentIteratorPrototype = Object.create(Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())), {
  next: {
    value: { next() {
      const s = intlSlots(segmentsSlots, this, '%SegmentIterator.prototype%.next');
      return s.next < s.list.length ? { value: s.list[s.next++], done: false } : { value: undefined, done: true };
    } }.next,
    writable: true, configurable: true,
  },
  [Symbol.toStringTag]: { value: 'Segmenter String Iterator', configurable: true },
});
for (const key of Reflect.ownKeys(SegmentsPrototype)) Object.defineProperty(SegmentsPrototype, key, { enumerable: false });

function makeSegments(granularity, input) {
  const segments = Object.create(SegmentsPrototype);
  segmentsSlots.set(segments, { granularity, input });
  return segments;
}
