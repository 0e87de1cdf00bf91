import { h, Fragment } from './jsx.ts';

interface TitleProps {
  text: string;
}

const Title = ({ text }: TitleProps) => <h1 class="title">{text}</h1>;

export function page(name: string): string {
  return (
    <>
      <Title text={`Hi ${name}`} />
      <ul>
        {[1, 2].map((n) => (
          <li>{n * 2}</li>
        ))}
      </ul>
    </>
  );
}
