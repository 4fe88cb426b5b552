/**
 * The dashboard's built files (web/, `vite build`): found beside the sources in the repo (web/dist) or,
 * in the Debian package, in /usr/share/presage/web; PRESAGE_WEB_ROOT overrides both.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
};

/** The first folder holding index.html: walk up from this module, trying both layouts. */
export function findWebRoot(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PRESAGE_WEB_ROOT) return existsSync(join(env.PRESAGE_WEB_ROOT, "index.html")) ? env.PRESAGE_WEB_ROOT : null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const c of [join(dir, "web", "dist"), join(dir, "share", "presage", "web")])
      if (existsSync(join(c, "index.html"))) return c;
    dir = dirname(dir);
  }
  return null;
}

export type Asset = { body: Buffer; type: string; immutable: boolean };

/** A file under root for a URL path; unknown paths get index.html (the app routes itself). */
export function assetOf(root: string, urlPath: string): Asset | null {
  const rel = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, "");
  const file = resolve(root, rel);
  if (file !== resolve(root) && !file.startsWith(resolve(root) + sep)) return null;
  const hit = rel && existsSync(file) && statSync(file).isFile() ? file : join(root, "index.html");
  return {
    body: readFileSync(hit),
    type: TYPES[extname(hit)] ?? "application/octet-stream",
    // vite names built assets by content hash
    immutable: hit.includes(`${sep}assets${sep}`),
  };
}
