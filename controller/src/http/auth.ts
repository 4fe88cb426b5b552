/**
 * Dashboard logins: an operator proves a name with the token whose SHA-256 the controller's config
 * holds (`http.tokens`), and gets a session cookie (HttpOnly, SameSite=Strict) or uses the token as a
 * bearer token. Only the hash is configured, so a leaked config file leaks no token.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "presage_session";

export function hashToken(token: string): string {
  return `sha256:${createHash("sha256").update(token).digest("hex")}`;
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type Session = { user: string; expiresAt: number };

export class Sessions {
  readonly #sessions = new Map<string, Session>();

  constructor(
    /** user -> "sha256:<hex>" */
    readonly tokens: Record<string, string>,
    readonly ttlMs: number,
    readonly now: () => number = Date.now,
  ) {}

  /** whether anyone can log in (no tokens configured: the dashboard is read-only) */
  get enabled(): boolean {
    return Object.keys(this.tokens).length > 0;
  }

  /** The user a token belongs to, checked against every configured hash. */
  userOfToken(token: string, user?: string): string | null {
    const h = hashToken(token);
    for (const [name, want] of Object.entries(this.tokens))
      if ((user === undefined || user === name) && sameHash(h, want)) return name;
    return null;
  }

  /** A new session id for a valid user and token, else null. */
  login(user: string, token: string): string | null {
    if (this.userOfToken(token, user) !== user) return null;
    this.#sweep();
    const id = randomBytes(32).toString("base64url");
    this.#sessions.set(id, { user, expiresAt: this.now() + this.ttlMs });
    return id;
  }

  logout(id: string): void {
    this.#sessions.delete(id);
  }

  /** Who sent a request: its session cookie, else its bearer token. */
  userOf(headers: { cookie?: string | undefined; authorization?: string | undefined }): string | null {
    const id = cookieOf(headers.cookie, SESSION_COOKIE);
    const s = id ? this.#sessions.get(id) : undefined;
    if (s && s.expiresAt > this.now()) return s.user;
    const bearer = /^Bearer (\S+)$/.exec(headers.authorization ?? "")?.[1];
    return bearer ? this.userOfToken(bearer) : null;
  }

  #sweep(): void {
    const now = this.now();
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
  }
}

export function cookieOf(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return null;
}
