// Intl.ListFormat where the engine has none: English's conjunction ("a, b,
// and c"), disjunction ("a, b, or c") and unit ("a, b, c") lists in the
// long, short and narrow styles.

// By type and style: [separator, separator before the last of 3 or more,
// separator of 2].
const LIST_PATTERNS = {
  __proto__: null,
  conjunction: { long: [', ', ', and ', ' and '], short: [', ', ', & ', ' & '], narrow: [', ', ', ', ', '] },
  disjunction: { long: [', ', ', or ', ' or '], short: [', ', ', or ', ' or '], narrow: [', ', ', or ', ' or '] },
  unit: { long: [', ', ', ', ', '], short: [', ', ', ', ', '], narrow: [' ', ' ', ' '] },
};

const listSlots = new WeakMap();

class ListFormat {
  constructor(locales = undefined, options = undefined) {
    intlOptionOwner = 'Intl.ListFormat';
    const locale = resolveIntlLocale(locales);
    options = intlOptions(options);
    intlOption(options, 'localeMatcher', ['lookup', 'best fit'], 'best fit');
    const type = intlOption(options, 'type', ['conjunction', 'disjunction', 'unit'], 'conjunction');
    const style = intlOption(options, 'style', ['long', 'short', 'narrow'], 'long');
    listSlots.set(this, { locale, type, style });
  }

  format(list) {
    return numberPartsText(listParts(intlSlots(listSlots, this, 'Intl.ListFormat.prototype.format'), list));
  }

  formatToParts(list) {
    return listParts(intlSlots(listSlots, this, 'Intl.ListFormat.prototype.formatToParts'), list);
  }

  resolvedOptions() {
    const s = intlSlots(listSlots, this, 'Intl.ListFormat.prototype.resolvedOptions');
    return { locale: s.locale, type: s.type, style: s.style };
  }
}
intlClass(ListFormat, 'Intl.ListFormat');

// StringListFromIterable, then the pattern's parts.
function listParts(s, list) {
  const items = [];
  if (list !== undefined) {
    for (const item of list) {
      if (typeof item !== 'string') throw new TypeError('Iterable yielded ' + String(item) + ' which is not a string');
      items.push(item);
    }
  }
  const [separator, last, two] = LIST_PATTERNS[s.type][s.style];
  const parts = [];
  for (let i = 0; i < items.length; i++) {
    if (i > 0) parts.push({ type: 'literal', value: items.length === 2 ? two : i === items.length - 1 ? last : separator });
    parts.push({ type: 'element', value: items[i] });
  }
  return parts;
}
