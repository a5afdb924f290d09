/**
 * One headless Debian chromium per test file, driven by playwright-core over a pipe, with a
 * fresh profile that goes with it.
 *
 * @module
 */
import { type BrowserContext, chromium } from "playwright-core";

/** Where Debian's chromium package puts the browser (`apt-get install -y chromium`). */
export const CHROMIUM = "/usr/bin/chromium";

/** A browser whose `close()` also removes its profile. */
export interface TestBrowser extends AsyncDisposable {
  readonly context: BrowserContext;
}

/**
 * Launches chromium headless, 1000x700, on a profile of its own.
 *
 * @throws {Error} saying how to install chromium, when it is not there
 */
export async function launchBrowser(): Promise<TestBrowser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(`No browser at ${CHROMIUM}: install Debian's with apt-get install -y chromium`);
  }
  const profile = await Deno.makeTempDir({ prefix: "naq-dashboard-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1000, height: 700 },
  });
  return {
    context,
    async [Symbol.asyncDispose]() {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
