/** BMC passwords come from a file or an environment variable, read at poll time so rotation needs no restart. */
import { readFileSync } from "node:fs";
import type { BmcCredentials } from "../config.js";

export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialError";
  }
}

export function readPassword(c: BmcCredentials): string | undefined {
  if (c.passwordFile) {
    try {
      return (readFileSync(c.passwordFile, "utf8").split(/\r?\n/)[0] ?? "").trimEnd();
    } catch (e) {
      throw new CredentialError(`cannot read BMC password file ${c.passwordFile}: ${(e as Error).message}`);
    }
  }
  if (c.passwordEnv) {
    const v = process.env[c.passwordEnv];
    if (v === undefined) throw new CredentialError(`environment variable ${c.passwordEnv} (BMC password) is not set`);
    return v;
  }
  return undefined;
}
