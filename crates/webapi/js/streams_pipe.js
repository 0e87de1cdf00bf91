// ReadableStreamPipeTo (WHATWG Streams): pipes a readable stream record into
// a writable stream record, honouring backpressure, the prevent* options and
// an AbortSignal (used through its standard interface: `aborted`, `reason`,
// `addEventListener('abort')`, `removeEventListener`). Uses no ops.
function readableStreamPipeTo(source, dest, preventClose, preventAbort, preventCancel, signal) {
  const reader = acquireDefaultReader(source);
  const writer = acquireWriter(dest);
  source.disturbed = true;
  let shuttingDown = false;
  const result = newDeferred();
  let currentWrite = promiseResolvedWith(undefined);
  let abortAlgorithm;

  // Waits until every chunk read so far has been written.
  const waitForWrites = () => {
    const old = currentWrite;
    return transformPromise(old, () => (old !== currentWrite ? waitForWrites() : undefined));
  };

  const finalize = (isError, error) => {
    writerRelease(writer);
    defaultReaderRelease(reader);
    if (signal !== undefined) signal.removeEventListener('abort', abortAlgorithm);
    if (isError) result.reject(error); else result.resolve(undefined);
  };

  const shutdownWithAction = (action, originalIsError, originalError) => {
    if (shuttingDown) return;
    shuttingDown = true;
    const doTheRest = () => {
      uponPromise(action(), () => finalize(originalIsError, originalError), newError => finalize(true, newError));
    };
    if (dest.state === 'writable' && !writableStreamCloseQueuedOrInFlight(dest)) {
      uponPromise(waitForWrites(), doTheRest);
    } else {
      doTheRest();
    }
  };

  const shutdown = (isError, error) => {
    if (shuttingDown) return;
    shuttingDown = true;
    if (dest.state === 'writable' && !writableStreamCloseQueuedOrInFlight(dest)) {
      uponPromise(waitForWrites(), () => finalize(isError, error));
    } else {
      finalize(isError, error);
    }
  };

  if (signal !== undefined) {
    abortAlgorithm = () => {
      const error = signal.reason;
      const actions = [];
      if (!preventAbort) {
        actions.push(() => (dest.state === 'writable' ? writableStreamAbort(dest, error) : promiseResolvedWith(undefined)));
      }
      if (!preventCancel) {
        actions.push(() => (source.state === 'readable' ? readableStreamCancel(source, error) : promiseResolvedWith(undefined)));
      }
      shutdownWithAction(() => PromiseCtor.all(actions.map(a => a())), true, error);
    };
    if (signal.aborted) {
      abortAlgorithm();
      return result.promise;
    }
    signal.addEventListener('abort', abortAlgorithm);
  }

  // Errors must be propagated forward.
  const onSourceErrored = storedError => {
    if (!preventAbort) shutdownWithAction(() => writableStreamAbort(dest, storedError), true, storedError);
    else shutdown(true, storedError);
  };
  // Errors must be propagated backward.
  const onDestErrored = storedError => {
    if (!preventCancel) shutdownWithAction(() => readableStreamCancel(source, storedError), true, storedError);
    else shutdown(true, storedError);
  };
  // Closing must be propagated forward.
  const onSourceClosed = () => {
    if (!preventClose) shutdownWithAction(() => writerCloseWithErrorPropagation(writer));
    else shutdown();
  };

  if (source.state === 'errored') onSourceErrored(source.storedError);
  else uponPromise(reader.closed.promise, onSourceClosed, onSourceErrored);
  if (dest.state === 'errored') onDestErrored(dest.storedError);
  else uponPromise(writer.closed.promise, undefined, onDestErrored);
  if (source.state === 'closed') onSourceClosed();
  // Closing must be propagated backward.
  if (writableStreamCloseQueuedOrInFlight(dest) || dest.state === 'closed') {
    const destClosed = new TypeError('The destination stream is closed');
    if (!preventCancel) shutdownWithAction(() => readableStreamCancel(source, destClosed), true, destClosed);
    else shutdown(true, destClosed);
  }

  // The loop: wait for the destination to want more, read, write.
  const step = () => {
    if (shuttingDown) return;
    uponPromise(writer.ready.promise, () => {
      if (shuttingDown) return;
      defaultReaderRead(reader, {
        chunk: chunk => {
          if (writer.stream === undefined) return;
          currentWrite = transformPromise(writerWrite(writer, chunk), undefined, () => {});
          step();
        },
        close: () => {},
        error: () => {},
      });
    });
  };
  step();
  return result.promise;
}
