export const picked = 'browser';
