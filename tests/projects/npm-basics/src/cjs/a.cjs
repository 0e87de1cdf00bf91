// CommonJS with a require() cycle: a starts, b requires a while a is
// half done and sees what a exported so far, as in Node.js.
exports.name = 'a';
const b = require('./b.cjs');
exports.fromB = b.name;
exports.bSawA = b.sawA;
exports.json = require('../data/config.json').name;
