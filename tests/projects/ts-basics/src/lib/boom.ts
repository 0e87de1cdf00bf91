// Types first, so that the JavaScript of this module has fewer lines than
// the TypeScript above the throw.
export interface Options {
  reason: string;
  retries?: number;
}

export type Reason = Options['reason'];

export function explode(reason: Reason): never {
  const options: Options = { reason };
  throw new Error(`boom: ${options.reason}`);
}
