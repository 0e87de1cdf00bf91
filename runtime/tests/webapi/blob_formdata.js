import { suite, eq, throws, rejects } from './harness.js';

export default suite(test => {
  test('Blob from parts', async () => {
    const inner = new Blob(['in']);
    const b = new Blob(['a€', new Uint8Array([1, 2]), new Uint16Array([0x4342]).buffer, inner], { type: 'Text/Plain' });
    eq([b.size, b.type], [10, 'text/plain']);
    eq([...await b.bytes()], [0x61, 0xE2, 0x82, 0xAC, 1, 2, 0x42, 0x43, 0x69, 0x6E]);
    eq(await new Blob(['x\r\ny\rz'], { endings: 'native' }).text(), 'x\ny\nz');
    eq(await new Blob(['x\r\n']).text(), 'x\r\n');
    eq(new Blob([], { type: 'a\u00e9' }).type, '');
    eq(new Blob().size, 0);
    eq(await new Blob(['\uD800']).text(), '\uFFFD');
    const detached = new ArrayBuffer(4);
    const view = new Uint8Array(detached);
    detached.transfer();
    eq(new Blob([detached, view, 'z']).size, 1, 'detached buffers hold no bytes');
    const order = [];
    new File([{ toString() { order.push('part'); return 'x'; } }], { toString() { order.push('name'); return 'n'; } }, {
      get type() { order.push('type'); return ''; },
      get endings() { order.push('endings'); return 'native'; },
      get lastModified() { order.push('lastModified'); return 1; },
    });
    eq(order, ['part', 'name', 'endings', 'type', 'lastModified'], 'WebIDL conversion order');
    throws(() => new Blob('abc'), TypeError);
    throws(() => new Blob([], { endings: 'weird' }), TypeError);
    const ab = await new Blob(['hi']).arrayBuffer();
    eq(ab instanceof ArrayBuffer && ab.byteLength, 2);
    eq(Object.prototype.toString.call(b), '[object Blob]');
  });
  test('Blob.slice', async () => {
    const b = new Blob(['0123456789']);
    eq(await b.slice(2, 5).text(), '234');
    eq(await b.slice(-3).text(), '789');
    eq(await b.slice(5, 2).text(), '');
    eq(await b.slice(-100, 100).text(), '0123456789');
    eq(b.slice(0, 1, 'A/B').type, 'a/b');
    eq(b.slice().type, '');
    eq(await b.slice(1, 4).slice(1).text(), '23');
  });
  test('Blob methods check their receiver', async () => {
    await rejects(Blob.prototype.text.call({}), TypeError);
    throws(() => Object.getOwnPropertyDescriptor(Blob.prototype, 'size').get.call({}), TypeError);
  });
  test('File', async () => {
    const f = new File(['abc'], 'a.txt', { type: 'text/plain', lastModified: 42 });
    eq([f.name, f.size, f.type, f.lastModified, f instanceof Blob], ['a.txt', 3, 'text/plain', 42, true]);
    eq(await f.text(), 'abc');
    const now = Date.now();
    eq(Math.abs(new File([], 'n').lastModified - now) < 1000, true);
    throws(() => new File(['x']), TypeError);
    eq(Object.prototype.toString.call(f), '[object File]');
    const clone = structuredClone(f);
    eq([clone instanceof File, clone.name, clone.lastModified, await clone.text()], [true, 'a.txt', 42, 'abc']);
    const bc = structuredClone(new Blob(['z'], { type: 'x/y' }));
    eq([bc instanceof File, bc.type, await bc.text()], [false, 'x/y', 'z']);
  });
  test('FormData entries', () => {
    const fd = new FormData();
    fd.append('a', '1');
    fd.append('b', new Blob(['x'], { type: 'text/x' }));
    fd.append('a', 2);
    fd.append('c', new File(['y'], 'orig.txt'), 'renamed.txt');
    eq(fd.get('a'), '1');
    eq(fd.getAll('a'), ['1', '2']);
    const b = fd.get('b');
    eq([b instanceof File, b.name, b.type], [true, 'blob', 'text/x']);
    eq(fd.get('c').name, 'renamed.txt');
    eq([fd.has('c'), fd.has('z'), fd.get('z')], [true, false, null]);
    fd.set('a', 'only');
    eq(fd.getAll('a'), ['only']);
    eq([...fd.keys()], ['a', 'b', 'c']);
    fd.delete('b');
    eq([...fd].map(([k, v]) => [k, typeof v]), [['a', 'string'], ['c', 'object']]);
    const seen = [];
    fd.forEach((v, k) => seen.push(k));
    eq(seen, ['a', 'c']);
    throws(() => fd.append('x'), TypeError);
    throws(() => fd.append('x', 'str', 'name'), TypeError);
    throws(() => new FormData({}), TypeError);
    fd.append('\uD800', 'v\uDC00');
    eq(fd.get('\uFFFD'), 'v\uFFFD');
  });
});
