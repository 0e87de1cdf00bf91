// Legacy (experimental) decorators, as tsconfig.json asks.
export const calls: string[] = [];

function sealed<T extends { new (...args: any[]): object }>(constructor: T): T {
  calls.push(`class ${constructor.name}`);
  return constructor;
}

function loud(target: object, key: string, descriptor: PropertyDescriptor): PropertyDescriptor {
  calls.push(`method ${key}`);
  const original = descriptor.value as (...args: unknown[]) => string;
  descriptor.value = function (this: unknown, ...args: unknown[]): string {
    return original.apply(this, args).toUpperCase();
  };
  return descriptor;
}

function tagged(target: object, key: string, index: number): void {
  calls.push(`param ${key}#${index}`);
}

@sealed
export class Greeter {
  constructor(private readonly name: string) {}

  @loud
  greet(@tagged suffix: string = '!'): string {
    return `hello, ${this.name}${suffix}`;
  }
}
