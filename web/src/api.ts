/** The controller's dashboard API (controller/src/http/server.ts): ops requests as JSON over POST. */
export type OpsError = { code: string; message: string };

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
    credentials: "same-origin",
  });
  const data = (await res.json()) as { ok: boolean; error?: OpsError } & T;
  if (!data.ok) throw new ApiError(data.error?.code ?? "internal", data.error?.message ?? `HTTP ${res.status}`);
  return data;
}

/** Run one ops endpoint (the same names as the CLI's: hosts, ack, repaired, maintenance-enter, ...). */
export function op<T>(endpoint: string, body: Record<string, unknown> = {}): Promise<T> {
  return post<T>(`./api/ops/${endpoint}`, body);
}

export type Session = {
  user: string | null;
  loginEnabled: boolean;
  controller: string;
  leader: boolean;
  leaderAt: { name: string; url: string | null } | null;
};

export async function session(): Promise<Session> {
  const res = await fetch("./api/session", { credentials: "same-origin" });
  return (await res.json()) as Session;
}

export function login(user: string, token: string): Promise<{ user: string }> {
  return post("./api/login", { user, token });
}

export function logout(): Promise<unknown> {
  return post("./api/logout", {});
}
