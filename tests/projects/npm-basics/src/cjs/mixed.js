// CommonJS that requires an ES module, a JSON file, a package and a
// package that is not there (inside try, so not a start-up error).
const esm = require('./esm.mjs');
const { parse } = require('cookie');
let optional = 'missing';
try {
  optional = require('not-installed-optional-package');
} catch (e) {
  optional = e.code;
}
module.exports = {
  esmDefault: esm.default,
  esmNamed: esm.named,
  esModule: esm.__esModule,
  cookie: parse('c=3').c,
  optional,
  thisIsExports: this === module.exports,
};
