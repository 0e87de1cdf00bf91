export const picked = 'node';
