export const picked = 'default';
