/** A text input bound to a value: the one shape of every field on the page. */
export function Field(p: {
  name: string;
  id?: string;
  value: string;
  onValue: (v: string) => void;
  placeholder?: string;
  type?: "text" | "password" | "search";
}) {
  return (
    <input
      name={p.name}
      id={p.id ?? p.name}
      // preact 11 types each input type as its own variant; these three take the same attributes
      type={(p.type ?? "text") as "text"}
      placeholder={p.placeholder ?? ""}
      value={p.value}
      onInput={(e) => p.onValue((e.target as HTMLInputElement).value)}
    />
  );
}
