export const picked = 'workerd';
