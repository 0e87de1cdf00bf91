// The automatic JSX runtime's module (`<jsxImportSource>/jsx-runtime`): it
// has no extension because the compiler imports it by exactly this name.
function render(type, props) {
  if (typeof type === 'function') return type(props);
  const { children, ...attrs } = props;
  const inner = [children ?? []].flat(Infinity).join('');
  const text = Object.entries(attrs).map(([k, v]) => ` ${k}="${v}"`).join('');
  return `<${type}${text}>${inner}</${type}>`;
}
export const jsx = render;
export const jsxs = render;
export function Fragment(props) {
  return [props.children ?? []].flat(Infinity).join('');
}
