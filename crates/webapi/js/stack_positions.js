// Stack traces that name places in the files a Worker's author wrote.
//
// When some of the Worker's modules were generated from other files
// (TypeScript, JSX, `define`), the host says so at start (`mapsPositions` of
// `init()`) and `mapStackPositions()` installs `Error.prepareStackTrace`:
// stack traces are then formatted here the way the engine formats them,
// with each frame's place in the generated JavaScript replaced by the
// author's. A Worker without such modules never runs any of this.
//
// Op used: `source_positions([name, line, column, ...])` -> for each place,
// `[line, column]` in the author's file, or null where it is the same.
function mapStackPositions() {
  // The engine's own format, found by looking at its frames (making a stack
  // here to look at would cost a fresh isolate milliseconds): a CallSite
  // that writes itself comes with stacks that open with the error's
  // `name: message` line (V8); otherwise stacks are the frames alone, each
  // ending with a line break (QuickJS).
  let withHeader = false;
  const placeOf = frame => {
    const file = frame.getFileName(), line = frame.getLineNumber(), column = frame.getColumnNumber();
    return file != null && line != null && column != null ? [String(file), line, column] : null;
  };
  // A frame without a file (the prelude's, compiled ahead) shows `<null>`.
  const text = ([file, line, column]) => `${file || '<null>'}:${line}:${column}`;
  // One frame written from its parts: `name (file:line:column)`.
  const frameFromParts = (frame, at) => {
    const name = frame.getFunctionName() || '<anonymous>';
    if (frame.isNative()) return `${name} (native)`;
    if (at && frame.getFunction() == null && !frame.getFunctionName()) return text(at);
    return `${name} (${at ? text(at) : '<null>'})`;
  };
  // One frame as its CallSite writes itself, at the place `at`.
  const frameFromCallSite = (frame, place, at) => {
    const own = String(frame);
    if (!place || at === place) return own;
    const from = text(place), i = own.lastIndexOf(from);
    return i < 0 ? own : own.slice(0, i) + text(at) + own.slice(i + from.length);
  };
  Error.prepareStackTrace = function prepareStackTrace(error, frames) {
    if (frames.length > 0) withHeader = !String(frames[0]).startsWith('[object');
    const places = frames.map(placeOf);
    const asked = [];
    const mappable = p => p && p[0] !== '' && !p[0].startsWith('motu:');
    for (const p of places) if (mappable(p)) asked.push(p[0], p[1], p[2]);
    let mapped = [];
    if (asked.length > 0) {
      try {
        mapped = op('source_positions', asked) || [];
      } catch {
        mapped = [];
      }
    }
    let k = 0;
    const lines = frames.map((frame, i) => {
      const place = places[i];
      let at = place;
      if (mappable(place)) {
        const m = mapped[k++];
        if (m) at = [place[0], m[0], m[1]];
      }
      return withHeader ? frameFromCallSite(frame, place, at) : frameFromParts(frame, at);
    });
    if (!withHeader) return lines.map(l => `    at ${l}\n`).join('');
    let head;
    try {
      head = String(error);
    } catch {
      head = 'Error';
    }
    return [head, ...lines.map(l => `    at ${l}`)].join('\n');
  };
}
