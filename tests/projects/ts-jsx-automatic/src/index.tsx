const Item = ({ label }: { label: string }) => <li data-kind="item">{label}</li>;

export default {
  fetch(): Response {
    const body = (
      <>
        <ul>
          {['a', 'b'].map((l) => (
            <Item label={l} />
          ))}
        </ul>
      </>
    );
    return new Response(body);
  },
};
