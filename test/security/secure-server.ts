/**
 * Start nats-server with the deploy/nats accounts and permissions, throwaway passwords and
 * (optionally) TLS certificates made with openssl at run time. Nothing secret is committed.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type NatsClusterHandle,
  type NatsServerHandle,
  startNatsCluster,
  startNatsServer,
} from "@presage/shared/testing";

const deployDir = fileURLToPath(new URL("../../deploy/nats/", import.meta.url));

export type Certs = {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  routeCert: string;
  routeKey: string;
};

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
export function makeCerts(dir: string): Certs {
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=presage-test-ca",
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
  );
  const leaf = (name: string, cn: string, ext: string) => {
    writeFileSync(p(`${name}.ext`), ext);
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${cn}`,
      "-keyout",
      `${name}-key.pem`,
      "-out",
      `${name}.csr`,
    );
    ssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    );
  };
  leaf("server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  leaf("client", "presage-operator", "extendedKeyUsage=clientAuth\n");
  // a cluster node's route certificate: it dials (client) and accepts (server) routes
  leaf("route", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  return {
    dir,
    ca: p("ca.pem"),
    serverCert: p("server.pem"),
    serverKey: p("server-key.pem"),
    clientCert: p("client.pem"),
    clientKey: p("client-key.pem"),
    routeCert: p("route.pem"),
    routeKey: p("route-key.pem"),
  };
}

export const PASSWORD_VARS = [
  "PRESAGE_CONTROLLER_PASSWORD",
  "PRESAGE_AGENT_PASSWORD",
  "PRESAGE_HYPERVISOR_PASSWORD",
  "PRESAGE_OPERATOR_ALICE_PASSWORD",
  "PRESAGE_OPERATOR_BOB_PASSWORD",
  "PRESAGE_SYS_PASSWORD",
] as const;

export type SecureServer = {
  ns: NatsServerHandle;
  /** nats:// URL (TLS is negotiated from the server's INFO when it requires it) */
  url: string;
  passwords: Record<(typeof PASSWORD_VARS)[number], string>;
  certs: Certs | null;
  stop(): Promise<void>;
};

/**
 * A deploy/nats template (the single server's, or `cluster/template.conf` for one cluster node) with the include
 * inlined and the test's variables and TLS blocks filled in; a cluster's routes get mutual TLS.
 */
export function secureConfig(
  passwords: Record<string, string>,
  certs: Certs | null,
  template = "presage.template.conf",
): string {
  const accounts = readFileSync(join(deployDir, "accounts.conf"), "utf8");
  const vars = Object.entries(passwords)
    .map(([k, v]) => `${k}: "${v}"`)
    .join("\n");
  const tls = certs
    ? `tls {\n  cert_file: "${certs.serverCert}"\n  key_file: "${certs.serverKey}"\n  ca_file: "${certs.ca}"\n  timeout: 5\n}`
    : "";
  const routeTls = certs
    ? `tls {\n    cert_file: "${certs.routeCert}"\n    key_file: "${certs.routeKey}"\n    ca_file: "${certs.ca}"\n    verify: true\n    timeout: 5\n  }`
    : "";
  return readFileSync(join(deployDir, template), "utf8")
    .replace("{{VARIABLES}}", vars)
    .replace("{{TLS}}", tls)
    .replace("{{ROUTE_TLS}}", routeTls)
    .replace(/include \.\.?\/accounts\.conf/, accounts);
}

type Secrets = { dir: string; certs: Certs | null; passwords: SecureServer["passwords"] };

function throwawaySecrets(tls: boolean): Secrets {
  const dir = mkdtempSync(join(tmpdir(), "presage-sec-"));
  const certs = tls ? makeCerts(dir) : null;
  const passwords = Object.fromEntries(
    PASSWORD_VARS.map((v) => [v, randomBytes(12).toString("hex")]),
  ) as SecureServer["passwords"];
  return { dir, certs, passwords };
}

/** What both start functions return: the URL, the throwaway secrets, and a stop that also removes them. */
function withSecrets(s: Secrets, server: { url: string; stop(): Promise<void> }) {
  return {
    url: server.url,
    passwords: s.passwords,
    certs: s.certs,
    async stop() {
      await server.stop();
      rmSync(s.dir, { recursive: true, force: true });
    },
  };
}

export async function startSecureNats(opts: { tls: boolean }): Promise<SecureServer> {
  const s = throwawaySecrets(opts.tls);
  const ns = await startNatsServer({ config: secureConfig(s.passwords, s.certs) });
  return { ns, ...withSecrets(s, ns) };
}

export type SecureCluster = Omit<SecureServer, "ns"> & { cluster: NatsClusterHandle };

/** deploy/nats/cluster/template.conf on three loopback nodes: the production accounts, TLS, mTLS routes. */
export async function startSecureCluster(opts: { tls: boolean }): Promise<SecureCluster> {
  const s = throwawaySecrets(opts.tls);
  const cluster = await startNatsCluster({ config: secureConfig(s.passwords, s.certs, "cluster/template.conf") });
  return { cluster, ...withSecrets(s, cluster) };
}
