// Decimal numbers for Intl.NumberFormat and Intl.PluralRules: a value as
// the decimal digits of its shortest round-trip representation (as ICU
// formats a double) or of a BigInt, rounded on those digits, never with
// binary floating-point arithmetic: (1.005) rounds to 1.01 with two
// fraction digits, as ICU gives, where toFixed gives 1.00.
//
// A decimal is `{ digits, point }`: `digits` has no leading or trailing
// zeros ('' for zero) and the value is 0.digits * 10 ** point, so `point`
// is the number of integer digits when positive.

// The decimal of a finite Number or BigInt's magnitude.
function decimalOf(x) {
  let text = typeof x === 'bigint' ? (x < 0n ? -x : x).toString() : String(Math.abs(x));
  let exponent = 0;
  const e = text.indexOf('e');
  if (e >= 0) {
    exponent = Number(text.slice(e + 1));
    text = text.slice(0, e);
  }
  const dot = text.indexOf('.');
  let digits = dot >= 0 ? text.slice(0, dot) + text.slice(dot + 1) : text;
  let point = (dot >= 0 ? dot : text.length) + exponent;
  let lead = 0;
  while (lead < digits.length && digits[lead] === '0') lead++;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, '');
  return digits === '' ? { digits: '', point: 0 } : { digits, point };
}

// `d` rounded half away from zero to its first `keep` digits.
function roundDecimal(d, keep) {
  if (d.digits.length <= keep) return d;
  if (keep < 0) return { digits: '', point: 0 };
  let digits = d.digits.slice(0, keep);
  let point = d.point;
  if (d.digits.charCodeAt(keep) >= 53) {
    let i = keep - 1;
    while (i >= 0 && digits[i] === '9') i--;
    if (i < 0) {
      digits = '1';
      point++;
    } else {
      digits = digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1);
    }
  }
  digits = digits.replace(/0+$/, '');
  return digits === '' ? { digits: '', point: 0 } : { digits, point };
}

// `d` rounded to `fraction` fraction digits.
function roundFraction(d, fraction) {
  return roundDecimal(d, d.point + fraction);
}

// `d` times 10 ** n.
function shiftDecimal(d, n) {
  return d.digits === '' ? d : { digits: d.digits, point: d.point + n };
}

// The digits of `d` before the point ('0' if none).
function integerDigits(d) {
  if (d.point <= 0) return '0';
  return d.digits.slice(0, d.point).padEnd(d.point, '0');
}

// The digits of `d` after the point, at least `min` of them.
function fractionDigits(d, min) {
  let text = d.point >= 0 ? d.digits.slice(d.point) : '0'.repeat(-d.point) + d.digits;
  return text.padEnd(min, '0');
}
