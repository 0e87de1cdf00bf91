export const sub = 'sub/thing.worker.js';
