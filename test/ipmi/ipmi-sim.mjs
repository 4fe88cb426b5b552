/**
 * Test helper: real OpenIPMI `ipmi_sim` BMCs on loopback with sensors the test defines
 * (generator from shared/recipes/ipmi_sim.md). Control goes through the simulator's stdin;
 * every instance is SIGKILLed by stop().
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * @typedef {{ lnr?: number, lc?: number, lnc?: number, unc?: number, uc?: number, unr?: number }} SimThresholds raw bytes
 * @typedef {{ num: number, name: string, type: number, unit: number, m: number, rexp: number, raw: number, th: SimThresholds }} SimSensor
 *   value = m * raw * 10^rexp
 */

export const FAN = 0x04;
export const TEMP = 0x01;
export const VOLT = 0x02;
export const UNIT = { C: 1, V: 4, RPM: 18 };

/** @param {number} b */
const hex = (b) => `0x${(b & 0xff).toString(16).padStart(2, "0")}`;

/** @param {SimSensor[]} sensors */
export function emuFile(sensors) {
  const out = [
    "mc_setbmc 0x20",
    "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02",
    "sel_enable 0x20 1000 0x0a",
    "sensor_add 0x20 0 0 35 0x6f event-only",
    "sensor_set_event_support 0x20 0 0 enable scanning per-state 000000000001111 000000000000000 000000000001111 000000000000000",
  ];
  const order = /** @type {const} */ (["lnc", "lc", "lnr", "unc", "uc", "unr"]);
  const evBit = { lnc: 0, lc: 2, lnr: 4, unc: 7, uc: 9, unr: 11 };
  for (const s of sensors) {
    const t = s.th;
    /** @param {(typeof order)[number]} k */
    const has = (k) => t[k] !== undefined;
    let mask = 0;
    order.forEach((k, i) => {
      if (has(k)) mask |= 1 << i;
    });
    let ev = 0;
    for (const k of order) if (has(k)) ev |= 1 << evBit[k];
    const lowerRet = (Number(has("lnc")) << 4) | (Number(has("lc")) << 5) | (Number(has("lnr")) << 6);
    const upperRet = (Number(has("unc")) << 4) | (Number(has("uc")) << 5) | (Number(has("unr")) << 6);
    const name = [...Buffer.from(s.name, "ascii")];
    const body = [
      0x20,
      0x00,
      s.num,
      0x07,
      0x01,
      0x7f,
      0x58,
      s.type,
      0x01,
      ev & 0xff,
      (ev >> 8) | lowerRet,
      ev & 0xff,
      (ev >> 8) | upperRet,
      mask,
      mask,
      0x00,
      s.unit,
      0x00,
      0x00,
      s.m & 0xff,
      (s.m >> 2) & 0xc0,
      0x00,
      0x00,
      0x00,
      (s.rexp & 0x0f) << 4,
      0x00,
      0x00,
      0x00,
      0x00,
      0xff,
      0x00,
      t.unr ?? 0,
      t.uc ?? 0,
      t.unc ?? 0,
      t.lnr ?? 0,
      t.lc ?? 0,
      t.lnc ?? 0,
      0x02,
      0x02,
      0x00,
      0x00,
      0x00,
      0xc0 | name.length,
      ...name,
    ];
    out.push(`main_sdr_add 0x20 ${[0, 0, 0x51, 0x01, body.length, ...body].map(hex).join(" ")}`);
    out.push(`sensor_add 0x20 0 ${s.num} ${hex(s.type)} 0x01`);
    /** @param {(typeof order)[number]} k */
    const v = (k) => hex(t[k] ?? 0);
    out.push(
      `sensor_set_threshold 0x20 0 ${s.num} settable ${mask.toString(2).padStart(6, "0")} ${v("unr")} ${v("uc")} ${v("unc")} ${v("lnr")} ${v("lc")} ${v("lnc")}`,
    );
    const evs = ev.toString(2).padStart(15, "0");
    out.push(`sensor_set_event_support 0x20 0 ${s.num} enable scanning per-state ${evs} ${evs} ${evs} ${evs}`);
    out.push(`sensor_set_value 0x20 0 ${s.num} ${hex(s.raw)} 0`);
  }
  out.push("mc_enable 0x20");
  return `${out.join("\n")}\n`;
}

/** A free UDP port on loopback (bound then released; the sim binds it right after). */
/** @returns {Promise<number>} */
export function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {object} SimBmc
 * @property {number} port
 * @property {string} user
 * @property {string} password
 * @property {string} dir
 * @property {(line: string) => void} command send one ipmi_sim command line (e.g. sensor_set_value)
 * @property {(num: number, raw: number) => void} setRaw set a sensor's raw byte
 * @property {() => void} kill kill -9 the simulator (a BMC that vanishes)
 * @property {() => Promise<void>} stop
 */

/**
 * @param {SimSensor[]} sensors
 * @returns {Promise<SimBmc>}
 */
export async function startSimBmc(sensors, name = "bmc") {
  const dir = mkdtempSync(join(tmpdir(), "presage-ipmisim-"));
  const port = await freeUdpPort();
  mkdirSync(join(dir, "state"));
  const conf = [
    `name "${name}"`,
    "set_working_mc 0x20",
    "  startlan 1",
    `    addr 127.0.0.1 ${port}`,
    "    priv_limit admin",
    "    allowed_auths_callback none md2 md5 straight",
    "    allowed_auths_user none md2 md5 straight",
    "    allowed_auths_operator none md2 md5 straight",
    "    allowed_auths_admin none md2 md5 straight",
    "    guid a123456789abcdefa123456789abcdef",
    "  endlan",
    '  user 1 true  ""      "test"     user  10 none md2 md5 straight',
    '  user 2 true  "admin" "password" admin 10 none md2 md5 straight',
    "",
  ].join("\n");
  writeFileSync(join(dir, "lan.conf"), conf);
  writeFileSync(join(dir, "bmc.emu"), emuFile(sensors));
  const proc = spawn(
    "ipmi_sim",
    ["-c", join(dir, "lan.conf"), "-f", join(dir, "bmc.emu"), "-s", join(dir, "state"), "-p"],
    { stdio: ["pipe", "ignore", "ignore"] },
  );
  await new Promise((resolve, reject) => {
    proc.once("error", (e) => reject(new Error(`cannot start ipmi_sim (apt-get install openipmi): ${e.message}`)));
    proc.once("exit", (code) => reject(new Error(`ipmi_sim exited at start (code ${code})`)));
    setTimeout(resolve, 400); // the UDP port answers within ~0.3 s (recipe)
  });
  proc.removeAllListeners("exit");
  proc.stdin?.on("error", () => {});
  /** @param {string} line */
  const command = (line) => {
    proc.stdin?.write(`${line}\n`);
  };
  const kill = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
  };
  return {
    port,
    user: "admin",
    password: "password",
    dir,
    command,
    setRaw: (/** @type {number} */ num, /** @type {number} */ raw) =>
      command(`sensor_set_value 0x20 0 ${num} ${hex(raw)} 0`),
    kill,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once("exit", r));
        kill();
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fifty sensors like a 1U server: 16 fans, 18 temperatures, 16 voltages. */
/** @returns {SimSensor[]} */
export function fiftySensors() {
  /** @type {SimSensor[]} */
  const out = [];
  let num = 1;
  for (let i = 1; i <= 16; i++)
    out.push({
      num: num++,
      name: `FAN${i}`,
      type: FAN,
      unit: UNIT.RPM,
      m: 50,
      rexp: 0,
      raw: 90 + i,
      th: { lnr: 8, lc: 14, lnc: 20 },
    });
  for (let i = 1; i <= 18; i++)
    out.push({
      num: num++,
      name: `Temp ${i}`,
      type: TEMP,
      unit: UNIT.C,
      m: 1,
      rexp: 0,
      raw: 30 + i,
      th: { unc: 80, uc: 90, unr: 95 },
    });
  for (let i = 1; i <= 16; i++)
    out.push({
      num: num++,
      name: `Rail ${i}`,
      type: VOLT,
      unit: UNIT.V,
      m: 6,
      rexp: -2,
      raw: 200,
      th: { lnr: 170, lc: 180, lnc: 190, unc: 210, uc: 220, unr: 230 },
    });
  return out;
}
