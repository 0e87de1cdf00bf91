export namespace Geometry {
  export const PI = 3;
  export function circleArea(r: number): number {
    return PI * r * r;
  }
  export namespace Units {
    export const square = (n: number): number => n * n;
  }
}
