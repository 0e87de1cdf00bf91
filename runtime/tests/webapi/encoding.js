import { suite, eq, throws } from './harness.js';

const bytes = (...b) => new Uint8Array(b);

export default suite(test => {
  test('TextEncoder', () => {
    const enc = new TextEncoder();
    eq(enc.encoding, 'utf-8');
    eq([...enc.encode('h€')], [0x68, 0xE2, 0x82, 0xAC]);
    eq([...enc.encode('\uD800')], [0xEF, 0xBF, 0xBD], 'lone surrogate');
    eq(enc.encode().length, 0);
    const dest = new Uint8Array(5);
    eq(enc.encodeInto('a€😀', dest), { read: 2, written: 4 });
    eq([...dest], [0x61, 0xE2, 0x82, 0xAC, 0]);
    eq(enc.encodeInto('😀', new Uint8Array(8)), { read: 2, written: 4 });
    throws(() => enc.encodeInto('a', new Uint16Array(2)), TypeError);
  });
  test('large inputs reach the host whole', () => {
    // Views of 4 KiB and more cross to the host by address: the window of
    // each view, at its offset, arrives; an ArrayBuffer arrives whole.
    const buffer = new Uint8Array(20000);
    for (let i = 0; i < buffer.length; i++) buffer[i] = 0x61 + (i % 26);
    const expected = i => String.fromCharCode(0x61 + (i % 26));
    const text = new TextDecoder().decode(new Uint8Array(buffer.buffer, 7, 9000));
    eq([text.length, text[0], text[8999]], [9000, expected(7), expected(9006)]);
    const latin = new TextDecoder('latin1').decode(new DataView(buffer.buffer, 100, 5000));
    eq([latin.length, latin[0], latin[4999]], [5000, expected(100), expected(5099)]);
    eq(new TextDecoder().decode(buffer.buffer).length, 20000);
    eq(new TextEncoder().encode(text).length, 9000);
  });
  test('TextDecoder labels and names', () => {
    eq(new TextDecoder().encoding, 'utf-8');
    eq(new TextDecoder(' LATIN1 ').encoding, 'windows-1252');
    eq(new TextDecoder('sjis').encoding, 'shift_jis');
    eq(new TextDecoder('utf-16').encoding, 'utf-16le');
    eq(new TextDecoder('x-user-defined').encoding, 'x-user-defined');
    throws(() => new TextDecoder('replacement'), RangeError);
    throws(() => new TextDecoder('iso-2022-kr'), RangeError);
    throws(() => new TextDecoder('nope'), RangeError);
    throws(() => new TextDecoder('utf-8', 5), TypeError);
    const d = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    eq([d.fatal, d.ignoreBOM], [true, true]);
  });
  test('decoding in legacy encodings', () => {
    eq(new TextDecoder('windows-1252').decode(bytes(0x63, 0x61, 0x66, 0xE9, 0x80)), 'café€');
    eq(new TextDecoder('shift_jis').decode(bytes(0x82, 0xA0)), 'あ');
    eq(new TextDecoder('gbk').decode(bytes(0xC4, 0xE3)), '你');
    eq(new TextDecoder('euc-kr').decode(bytes(0xB0, 0xA1)), '가');
    eq(new TextDecoder('utf-16be').decode(bytes(0xFE, 0xFF, 0, 0x41)), 'A');
    eq(new TextDecoder('koi8-r').decode(bytes(0xC1)), 'а');
  });
  test('BOM, fatal and input types', () => {
    eq(new TextDecoder().decode(bytes(0xEF, 0xBB, 0xBF, 0x61)), 'a');
    eq(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes(0xEF, 0xBB, 0xBF, 0x61)), '\uFEFFa');
    eq(new TextDecoder().decode(bytes(0x61, 0xFF)), 'a\uFFFD');
    throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes(0xFF)), TypeError);
    throws(() => new TextDecoder('utf-16le', { fatal: true }).decode(bytes(0x00)), TypeError);
    eq(new TextDecoder().decode(new Uint8Array([0x20, 0x61, 0x62]).buffer), ' ab');
    eq(new TextDecoder().decode(new DataView(new Uint8Array([0x61, 0x62, 0x63]).buffer, 1, 1)), 'b');
    eq(new TextDecoder().decode(new Uint16Array([0x6261])), 'ab');
    eq(new TextDecoder().decode(), '');
    const detached = new ArrayBuffer(2);
    const view = new Uint8Array(detached);
    detached.transfer();
    eq(new TextDecoder().decode(detached), '');
    eq(new TextEncoder().encodeInto('ab', view), { read: 0, written: 0 });
    throws(() => new TextDecoder().decode('abc'), TypeError);
    throws(() => new TextDecoder().decode([1, 2]), TypeError);
  });
  test('streaming keeps partial sequences', () => {
    const d = new TextDecoder();
    const euro = [0xE2, 0x82, 0xAC];
    let out = '';
    for (const b of euro) out += d.decode(bytes(b), { stream: true });
    out += d.decode();
    eq(out, '€');
    eq(d.decode(bytes(0xE2), { stream: true }), '');
    eq(d.decode(), '\uFFFD', 'an unfinished sequence at the end');
    const u16 = new TextDecoder('utf-16le');
    eq(u16.decode(bytes(0x3D), { stream: true }) + u16.decode(bytes(0xD8, 0x00), { stream: true }) +
       u16.decode(bytes(0xDE)), '😀');
    const fatal = new TextDecoder('utf-8', { fatal: true });
    eq(fatal.decode(bytes(0xF0, 0x9F), { stream: true }), '');
    throws(() => fatal.decode(bytes(0x41)), TypeError);
    eq(fatal.decode(bytes(0x41)), 'A', 'a fresh start after the error');
    const bom = new TextDecoder();
    eq(bom.decode(bytes(0xEF, 0xBB), { stream: true }) + bom.decode(bytes(0xBF, 0x62)), 'b');
    eq(bom.decode(bytes(0xEF, 0xBB, 0xBF, 0x63)), 'c', 'the BOM is stripped again after a flush');
  });
});
