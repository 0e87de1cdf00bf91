export const picked = 'import';
