#!/usr/bin/env node
/**
 * `pnpm package`: build release/presage_<version>_<arch>.deb (docs/contract.md section 6, docs/operations.md).
 *
 * The binaries are bundled with esbuild from the entry points the workspace packages declare in their
 * package.json `bin` maps (so moving a binary to another package does not break this), into ES modules
 * under /usr/lib/presage run by the system node (>= 20); no node_modules tree is shipped. The package is
 * Architecture: all (pure JavaScript, no native addon); PRESAGE_DEB_ARCH overrides it.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** tests build into a temporary directory instead of release/ */
const OUT = process.env.PRESAGE_RELEASE_DIR || join(ROOT, "release");
const BINS = ["presage", "presage-agent", "presage-controller", "presage-qemu-host"];
const UNITS = ["presage-agent.service", "presage-controller.service", "presage-qemu-host.service"];
/** sample configs installed in /etc/presage, all conffiles (dpkg keeps the operator's edits on upgrade) */
const ETC = {
  "agent.json": "deploy/etc/agent.json",
  "controller.json": "deploy/etc/controller.json",
  "agent.env": "deploy/etc/agent.env",
  "controller.env": "deploy/etc/controller.env",
  "qemu-host.env": "deploy/etc/qemu-host.env",
  "agent-lab.json": "deploy/etc/agent-lab.json",
};

const readJson = (f) => JSON.parse(readFileSync(join(ROOT, f), "utf8"));

/** bin name -> compiled entry point, from every workspace package's `bin` map */
function entryPoints() {
  const found = {};
  for (const dir of readdirSync(ROOT)) {
    let pkg;
    try {
      pkg = readJson(join(dir, "package.json"));
    } catch {
      continue;
    }
    for (const [name, file] of Object.entries(pkg.bin ?? {})) found[name] = join(ROOT, dir, file);
  }
  const missing = BINS.filter((b) => !found[b]);
  if (missing.length) throw new Error(`no workspace package declares bin ${missing.join(", ")}`);
  for (const b of BINS) statSync(found[b]); // built? (pnpm build runs first)
  return Object.fromEntries(BINS.map((b) => [b, found[b]]));
}

function control(version, arch, installedKiB) {
  return `Package: presage
Version: ${version}
Architecture: ${arch}
Maintainer: Presage developers <presage@localhost>
Installed-Size: ${installedKiB}
Depends: nodejs (>= 20), adduser
Recommends: ipmitool, freeipmi-tools, libvirt-clients
Suggests: nats-server, libvirt-daemon-system, qemu-system-x86
Section: admin
Priority: optional
Homepage: https://example.invalid/presage
Description: predict failing server hardware and live-migrate VMs away first
 Per-host agents read BMC sensors (IPMI, Redfish) and detect degradation trends
 before BMC thresholds trip; a controller evacuates the degrading host by live
 migration (libvirt or QEMU), quarantines it and brings the VMs back once it is
 repaired. Binaries: presage, presage-agent, presage-controller, presage-qemu-host.
`;
}

const POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  systemd-sysusers /usr/lib/sysusers.d/presage.conf 2>/dev/null || {
    getent group presage >/dev/null || addgroup --system presage
    getent passwd presage >/dev/null || adduser --system --ingroup presage --home /var/lib/presage --no-create-home presage
    getent group ipmi >/dev/null || addgroup --system ipmi
    adduser presage ipmi >/dev/null
    for g in libvirt kvm; do getent group $g >/dev/null && adduser presage $g >/dev/null || true; done
  }
  systemd-tmpfiles --create /usr/lib/tmpfiles.d/presage.conf 2>/dev/null || true
  # secrets: readable by the presage group only
  for f in /etc/presage/agent.env /etc/presage/controller.env /etc/presage/qemu-host.env; do
    [ -f "$f" ] && chown root:presage "$f" && chmod 0640 "$f"
  done
  chown root:presage /etc/presage && chmod 0750 /etc/presage
  udevadm control --reload-rules 2>/dev/null && udevadm trigger --subsystem-match=ipmi 2>/dev/null || true
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    # running services pick up the new code; none is enabled by the package (edit the config first)
    for u in presage-agent presage-controller presage-qemu-host; do
      systemctl try-restart $u.service || true
    done
  fi
fi
exit 0
`;

const POSTRM = `#!/bin/sh
set -e
if [ "$1" = purge ]; then rm -rf /var/lib/presage /var/cache/presage; fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
exit 0
`;

/**
 * shared/src/version.ts reads the version from shared/package.json next to it at run time; inside the bundle
 * that file is not there, so the bundled module is the version itself.
 */
function versionInlined(version) {
  return {
    name: "presage-version",
    setup(b) {
      b.onLoad({ filter: /[\\/]shared[\\/](src|dist)[\\/]version\.[jt]s$/ }, () => ({
        contents: `export const PRESAGE_VERSION = ${JSON.stringify(version)};`,
        loader: "js",
      }));
    },
  };
}

async function main() {
  const version = readJson("shared/package.json").version; // the one place the version is set
  const arch = process.env.PRESAGE_DEB_ARCH || "all";
  const entries = entryPoints();
  const stage = join(OUT, "stage");
  rmSync(stage, { recursive: true, force: true });
  const lib = join(stage, "usr/lib/presage");
  await build({
    entryPoints: Object.entries(entries).map(([out, file]) => ({ in: file, out })),
    outdir: lib,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    // CommonJS dependencies (pino, systeminformation) call require(): give ESM output a real one
    banner: {
      js: "import { createRequire as __presageCreateRequire } from 'node:module'; const require = __presageCreateRequire(import.meta.url);",
    },
    logLevel: "warning",
    plugins: [versionInlined(version)],
  });
  // esbuild keeps the entry's `#!/usr/bin/env node`; the .mjs extension makes node load them as ES modules
  const bin = join(stage, "usr/bin");
  mkdirSync(bin, { recursive: true });
  for (const b of BINS) {
    chmodSync(join(lib, `${b}.mjs`), 0o755);
    symlinkSync(relative(bin, join(lib, `${b}.mjs`)), join(bin, b));
  }
  const units = join(stage, "lib/systemd/system");
  mkdirSync(units, { recursive: true });
  for (const u of UNITS) cpSync(join(ROOT, "deploy/systemd", u), join(units, u));
  const put = (src, dest, mode = 0o644) => {
    mkdirSync(dirname(join(stage, dest)), { recursive: true });
    cpSync(join(ROOT, src), join(stage, dest));
    chmodSync(join(stage, dest), mode);
  };
  put("deploy/debian/sysusers.conf", "usr/lib/sysusers.d/presage.conf");
  put("deploy/debian/tmpfiles.conf", "usr/lib/tmpfiles.d/presage.conf");
  put("deploy/debian/60-presage-ipmi.rules", "lib/udev/rules.d/60-presage-ipmi.rules");
  for (const [name, src] of Object.entries(ETC)) put(src, `etc/presage/${name}`, name.endsWith(".env") ? 0o640 : 0o644);
  for (const f of readdirSync(join(ROOT, "docs"))) put(join("docs", f), `usr/share/doc/presage/${f}`);
  // the dashboard's built files (web/, vite): controller/src/http/assets.ts finds them here
  const web = join(ROOT, "web/dist");
  statSync(join(web, "index.html")); // built? (pnpm build builds web/ too)
  cpSync(web, join(stage, "usr/share/presage/web"), { recursive: true });
  for (const f of ["deploy/nats/presage.template.conf", "deploy/nats/accounts.conf", "deploy/nats/agent-users.sh"])
    put(f, `usr/share/doc/presage/examples/nats/${f.split("/").pop()}`);
  // the three-node cluster: node.conf includes ../accounts.conf, so the layout is kept
  for (const f of ["node.conf", "presage-nats-1.conf", "presage-nats-2.conf", "presage-nats-3.conf"])
    put(`deploy/nats/cluster/${f}`, `usr/share/doc/presage/examples/nats/cluster/${f}`);
  mkdirSync(join(stage, "var/lib/presage"), { recursive: true });

  const debian = join(stage, "DEBIAN");
  mkdirSync(debian);
  const kib = Number(execFileSync("du", ["-sk", "--exclude=DEBIAN", stage], { encoding: "utf8" }).split("\t")[0]);
  writeFileSync(join(debian, "control"), control(version, arch, kib));
  writeFileSync(
    join(debian, "conffiles"),
    `${Object.keys(ETC)
      .map((n) => `/etc/presage/${n}`)
      .join("\n")}\n`,
  );
  writeFileSync(join(debian, "postinst"), POSTINST, { mode: 0o755 });
  writeFileSync(join(debian, "postrm"), POSTRM, { mode: 0o755 });

  const deb = join(OUT, `presage_${version}_${arch}.deb`);
  rmSync(deb, { force: true });
  execFileSync("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", stage, deb], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  rmSync(stage, { recursive: true, force: true });
  const size = statSync(deb).size;
  console.log(`${relative(ROOT, deb)} (${(size / 1024).toFixed(0)} KiB, installed ${kib} KiB)`);
}

main().catch((e) => {
  console.error(`package: ${e.message}`);
  process.exit(1);
});
