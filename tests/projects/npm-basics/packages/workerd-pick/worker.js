export const picked = 'worker';
