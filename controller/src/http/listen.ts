/** `http.listen` ("HOST:PORT", IPv6 in brackets) as node:net wants it; a bad value names the key. */
export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(":");
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`http.listen must be "HOST:PORT", got ${JSON.stringify(listen)}`);
  return { host, port };
}
