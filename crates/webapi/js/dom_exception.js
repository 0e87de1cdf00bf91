// DOMException (WebIDL): the error type Web APIs throw with a name such as
// 'AbortError' or 'DataCloneError'. Instances inherit from Error.prototype,
// carry a stack where the engine gives one, and map the legacy names to their
// numeric `code`. Uses no ops.
const DOM_EXCEPTION_CODES = [
  ['IndexSizeError', 'INDEX_SIZE_ERR', 1],
  ['HierarchyRequestError', 'HIERARCHY_REQUEST_ERR', 3],
  ['WrongDocumentError', 'WRONG_DOCUMENT_ERR', 4],
  ['InvalidCharacterError', 'INVALID_CHARACTER_ERR', 5],
  ['NoModificationAllowedError', 'NO_MODIFICATION_ALLOWED_ERR', 7],
  ['NotFoundError', 'NOT_FOUND_ERR', 8],
  ['NotSupportedError', 'NOT_SUPPORTED_ERR', 9],
  ['InUseAttributeError', 'INUSE_ATTRIBUTE_ERR', 10],
  ['InvalidStateError', 'INVALID_STATE_ERR', 11],
  ['SyntaxError', 'SYNTAX_ERR', 12],
  ['InvalidModificationError', 'INVALID_MODIFICATION_ERR', 13],
  ['NamespaceError', 'NAMESPACE_ERR', 14],
  ['InvalidAccessError', 'INVALID_ACCESS_ERR', 15],
  ['TypeMismatchError', 'TYPE_MISMATCH_ERR', 17],
  ['SecurityError', 'SECURITY_ERR', 18],
  ['NetworkError', 'NETWORK_ERR', 19],
  ['AbortError', 'ABORT_ERR', 20],
  ['URLMismatchError', 'URL_MISMATCH_ERR', 21],
  ['QuotaExceededError', 'QUOTA_EXCEEDED_ERR', 22],
  ['TimeoutError', 'TIMEOUT_ERR', 23],
  ['InvalidNodeTypeError', 'INVALID_NODE_TYPE_ERR', 24],
  ['DataCloneError', 'DATA_CLONE_ERR', 25],
];

class DOMException {
  #name; #message;
  constructor(message = '', name = 'Error') {
    this.#message = String(message);
    this.#name = String(name);
    const stack = new Error(this.#message).stack;
    if (stack !== undefined) {
      Object.defineProperty(this, 'stack', { value: stack, writable: true, configurable: true });
    }
  }
  get name() { return this.#name; }
  get message() { return this.#message; }
  get code() {
    const entry = DOM_EXCEPTION_CODES.find(([name]) => name === this.#name);
    return entry ? entry[2] : 0;
  }
}
Object.setPrototypeOf(DOMException.prototype, Error.prototype);
webidlInterface(DOMException);
// The constants, enumerable from the start (so after webidlInterface, which
// need not go over them); an indexed loop, as every isolate runs it.
for (let i = 0; i < DOM_EXCEPTION_CODES.length; i++) {
  const descriptor = { __proto__: null, value: DOM_EXCEPTION_CODES[i][2], enumerable: true };
  Object.defineProperty(DOMException, DOM_EXCEPTION_CODES[i][1], descriptor);
  Object.defineProperty(DOMException.prototype, DOM_EXCEPTION_CODES[i][1], descriptor);
}
defineGlobal('DOMException', DOMException);
