export const sub = 'sub/thing.js';
