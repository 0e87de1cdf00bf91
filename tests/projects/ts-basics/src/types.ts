// Types only: nothing of this module is left at run time.
export interface Answer {
  [key: string]: unknown;
}
export type Maybe<T> = T | undefined;
