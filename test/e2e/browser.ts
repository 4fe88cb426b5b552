/**
 * The system's Chromium (Debian `chromium`, or PRESAGE_CHROMIUM) driven by playwright-core: never a
 * downloaded browser. Every console error and uncaught page error is collected, so a test can fail on them.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.PRESAGE_CHROMIUM || "/usr/bin/chromium";

/** why browser tests cannot run here, or null */
export const noBrowser = existsSync(CHROMIUM)
  ? null
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set PRESAGE_CHROMIUM)`;

export async function launch(): Promise<Browser> {
  // root in CI: Chromium's sandbox needs an unprivileged user namespace it may not get
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

export type WatchedPage = { page: Page; errors: string[] };

export async function openPage(browser: Browser, viewport = { width: 1400, height: 900 }): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
  return { page, errors };
}
