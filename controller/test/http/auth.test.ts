import { describe, expect, it } from "vitest";
import { cookieOf, hashToken, SESSION_COOKIE, Sessions } from "../../src/http/auth.js";

describe("dashboard logins", () => {
  const tokens = { alice: hashToken("s3cret-alice"), bob: hashToken("s3cret-bob") };

  it("auth - a session for the right user and token only, never for another user's token", () => {
    const s = new Sessions(tokens, 60_000);
    expect(s.enabled).toBe(true);
    expect(s.login("alice", "s3cret-bob")).toBeNull();
    expect(s.login("alice", "wrong")).toBeNull();
    expect(s.login("carol", "s3cret-alice")).toBeNull();
    const id = s.login("alice", "s3cret-alice") as string;
    expect(id).toMatch(/^[\w-]{40,}$/);
    expect(s.userOf({ cookie: `x=1; ${SESSION_COOKIE}=${id}` })).toBe("alice");
    expect(s.userOf({ cookie: `${SESSION_COOKIE}=forged` })).toBeNull();
    s.logout(id);
    expect(s.userOf({ cookie: `${SESSION_COOKIE}=${id}` })).toBeNull();
  });

  it("auth - a session expires; a bearer token names its user", () => {
    let now = 1_000;
    const s = new Sessions(tokens, 60_000, () => now);
    const id = s.login("bob", "s3cret-bob") as string;
    now += 59_999;
    expect(s.userOf({ cookie: `${SESSION_COOKIE}=${id}` })).toBe("bob");
    now += 1;
    expect(s.userOf({ cookie: `${SESSION_COOKIE}=${id}` })).toBeNull();
    expect(s.userOf({ authorization: "Bearer s3cret-bob" })).toBe("bob");
    expect(s.userOf({ authorization: "Bearer nope" })).toBeNull();
    expect(s.userOf({ authorization: "Basic s3cret-bob" })).toBeNull();
  });

  it("auth - no tokens configured: nobody logs in", () => {
    const s = new Sessions({}, 60_000);
    expect(s.enabled).toBe(false);
    expect(s.login("", "")).toBeNull();
    expect(s.userOf({ authorization: "Bearer " })).toBeNull();
  });

  it("auth - hashes are sha256 hex; cookies parse", () => {
    expect(hashToken("abc")).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(cookieOf("a=1; b=2=3", "b")).toBe("2=3");
    expect(cookieOf(undefined, "a")).toBeNull();
  });
});
