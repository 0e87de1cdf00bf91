// The locale-sensitive methods ECMA-402 defines (Number's, BigInt's and
// Date's toLocaleString..., String's localeCompare, Array's
// toLocaleString) on an engine without Intl (QuickJS): `start()` replaces
// them with these shims and makes `Intl` a global that loads the Intl group
// (intl_install.js) on first use, so a Worker that never formats anything
// never evaluates it. A shim loads the group on its first call and calls
// what the group gives for it.
function installIntl() {
  lazyGlobals(INTL, 'Intl');
  const call = (name, self, args) => loadGroup(INTL).intlMethods[name].apply(self, args);
  const shims = [
    [Number.prototype, { toLocaleString(locales = undefined, options = undefined) { return call('numberToLocaleString', this, [locales, options]); } }],
    [BigInt.prototype, { toLocaleString(locales = undefined, options = undefined) { return call('bigintToLocaleString', this, [locales, options]); } }],
    [Date.prototype, {
      toLocaleString(locales = undefined, options = undefined) { return call('dateToLocaleString', this, [locales, options]); },
      toLocaleDateString(locales = undefined, options = undefined) { return call('dateToLocaleDateString', this, [locales, options]); },
      toLocaleTimeString(locales = undefined, options = undefined) { return call('dateToLocaleTimeString', this, [locales, options]); },
    }],
    [String.prototype, { localeCompare(that, locales = undefined, options = undefined) { return call('localeCompare', this, [that, locales, options]); } }],
    [Array.prototype, { toLocaleString(locales = undefined, options = undefined) { return call('arrayToLocaleString', this, [locales, options]); } }],
  ];
  for (const [target, methods] of shims) {
    for (const name of Object.keys(methods)) {
      Object.defineProperty(target, name, { __proto__: null, value: methods[name], writable: true, enumerable: false, configurable: true });
    }
  }
}
