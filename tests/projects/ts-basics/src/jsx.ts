// A tiny classic-runtime JSX factory: elements straight to HTML text.
type Props = Record<string, unknown> | null;
type Child = string | number | Child[];

export function h(tag: string | ((p: Props) => string), props: Props, ...children: Child[]): string {
  if (typeof tag === 'function') return tag({ ...(props ?? {}), children });
  const attrs = Object.entries(props ?? {})
    .map(([k, v]) => ` ${k}="${String(v)}"`)
    .join('');
  return `<${tag}${attrs}>${children.flat(Infinity).join('')}</${tag}>`;
}

export function Fragment(props: Props): string {
  return ((props?.children as Child[]) ?? []).flat(Infinity).join('');
}
