const a = require('./a.cjs');
exports.sawA = a.name;
exports.sawFromB = a.fromB === undefined ? 'not yet' : 'already';
exports.name = 'b';
