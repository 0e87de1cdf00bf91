import { Color, Direction, describe } from './colors.ts';
import { Geometry } from './geometry.ts';
import { Greeter, calls } from './decorators.ts';
import { page } from './view.tsx';
import { explode } from './lib/boom.ts';
import type { Answer } from './types.ts';

interface Env {
  readonly GREETING?: string;
}

declare const BUILD_FLAVOR: string;

class Account {
  constructor(
    public readonly owner: string,
    private balance: number = 0,
  ) {}
  deposit(amount: number): this {
    this.balance += amount;
    return this;
  }
  get total(): number {
    return this.balance;
  }
}

function json(value: Answer | Record<string, unknown>): Response {
  return new Response(JSON.stringify(value), {
    headers: { 'content-type': 'application/json' },
  });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    switch (path) {
      case '/':
        return new Response(`hello from TypeScript${env.GREETING ?? ''}`);
      case '/enum':
        return json({
          red: Color.Red,
          blue: Color.Blue,
          name: Color[Color.Green],
          up: Direction.Up,
          describe: describe(Color.Blue),
        });
      case '/namespace':
        return json({
          area: Geometry.circleArea(2),
          pi: Geometry.PI,
          unit: Geometry.Units.square(3),
        });
      case '/decorators':
        return json({ greeting: new Greeter('motu').greet(), calls: calls.slice() });
      case '/params': {
        const a = new Account('ada', 5).deposit(10);
        return json({ owner: a.owner, total: a.total, keys: Object.keys(a).sort() });
      }
      case '/jsx':
        return new Response(page('motu'), { headers: { 'content-type': 'text/html' } });
      case '/env':
        return json({ nodeEnv: process.env.NODE_ENV, flavor: BUILD_FLAVOR });
      case '/stack':
        try {
          explode('caught');
        } catch (e) {
          return new Response((e as Error).stack ?? 'no stack');
        }
        return new Response('did not throw');
      case '/op-error':
        // An error made by a host op while stack traces are mapped.
        try {
          atob('@@@');
        } catch (e) {
          return new Response((e as Error).name);
        }
        return new Response('did not throw');
      case '/throw':
        explode('uncaught');
    }
    return new Response('not found', { status: 404 });
  },
};
