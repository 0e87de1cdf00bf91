export enum Color {
  Red,
  Green = 5,
  Blue,
}

export const enum Direction {
  Up = 'UP',
  Down = 'DOWN',
}

export function describe(c: Color): string {
  return c === Color.Blue ? 'blue is ' + c : 'other';
}
