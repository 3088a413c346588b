// The simulator's browser page (segl sim web) in Debian's chromium, headless: page load to the image
// checked and compiled, adding a code display until it is provisioned, and a device's boot (new
// Device: boot ROM checks + instantiating the image + boot()) in the tab against the same in Node.
// Then frames per second with 1…200 code displays pressed every frame. Also writes docs/simulator-web.png. Needs the built page and `npx tsc -b` (host-sdk/cli/dist).
// node bench/web.mjs   (BENCH_ROUNDS as in lib.mjs)
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { Device, SimClock, imageFromBytes } from "@segl/simulator";
import { startWebServer } from "../host-sdk/cli/dist/src/sim-web.js";
import { ROUNDS } from "./lib.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await startWebServer({ port: 0 });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
const load = [], add = [];
let page;
try {
  for (let r = 0; r < ROUNDS + 1; r++) {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
    page = await ctx.newPage();
    await page.goto(server.url);
    await page.getByTestId("image-sha").waitFor();
    const readyAt = Number(await page.locator("#image-status").getAttribute("data-ready-at"));
    const t0 = performance.now();
    await page.getByRole("button", { name: "Add code display" }).click();
    await page.getByTestId("seed").waitFor();
    const t1 = performance.now();
    if (r > 0) { load.push(readyAt); add.push(t1 - t0); }
    if (r < ROUNDS) await ctx.close();
  }
  const n = 50;
  const tab = await page.evaluate((k) => globalThis.seglBench.boot(k), n);
  const image = imageFromBytes(new Uint8Array(readFileSync(new URL("../firmware/build/firmware.wasm", import.meta.url))));
  const node = [];
  for (let i = 0; i < n + 5; i++) { const t0 = performance.now(); const d = new Device({ image, clock: new SimClock() }); if (i >= 5) node.push(performance.now() - t0); d.dispose(); }
  console.log("## Simulator page in chromium (headless)");
  console.log(`page load to the image checked and compiled     ${median(load).toFixed(0)} ms (median of ${ROUNDS})`);
  console.log(`add a code display until provisioned           ${median(add).toFixed(0)} ms (median of ${ROUNDS}, click to seed shown)`);
  console.log(`device boot in the tab                         ${tab.toFixed(2)} ms (median of ${n})`);
  console.log(`device boot in Node                            ${median(node).toFixed(2)} ms (median of ${n})`);
  console.log(`ratio tab / Node                               ${(tab / median(node)).toFixed(2)}×`);
  // Devices one tab runs at 60 frames per second: code displays, each pressed once per frame (a TOTP in
  // the image, the LCD and the log redrawn), at growing counts on a fresh page.
  {
    const ctx = await browser.newContext();
    const p2 = await ctx.newPage();
    await p2.goto(server.url);
    await p2.getByTestId("image-sha").waitFor();
    let have = 0;
    try {
      for (const n of [1, 10, 50, 100, 150, 200]) {
        while (have < n) { await p2.evaluate(() => globalThis.seglBench.add()); have++; }
        const fps = await p2.evaluate((ms) => globalThis.seglBench.fps(ms), 2000);
        console.log(`${String(n).padStart(3)} displays pressed every frame             ${fps.toFixed(1)} frames/s`);
      }
    } catch (e) {
      // Each Wasm memory reserves its guard region of address space; the tab runs out of it first.
      console.log(`display ${have + 1} not created: ${String(e.message).split("\n")[0].replace(/^page.evaluate: /, "")}`);
    }
    await ctx.close();
  }
  // Why the device count stops near 125: bare 2-page Wasm memories, nothing else, in one tab and then in
  // a second tab (its own renderer process) while the first still holds its own.
  {
    const count = () => { const keep = []; try { for (let i = 0; i < 4000; i++) keep.push(new WebAssembly.Memory({ initial: 2, maximum: 2 })); } catch { /* the limit */ } globalThis.keep = keep; return keep.length; };
    const tabs = [await (await browser.newContext()).newPage(), await (await browser.newContext()).newPage()];
    const first = await tabs[0].evaluate(count), second = await tabs[1].evaluate(count);
    console.log(`Wasm memories (2 pages) one tab can create       ${first}; a second tab at the same time ${second}`);
    for (const t of tabs) await t.context().close();
  }
  // The screenshot for the README: a display (pressed), a reader and a chip (registered and signed in).
  await page.getByTestId("press").first().click();
  await page.getByRole("button", { name: "Add audio code reader" }).click();
  await page.getByTestId("seed").nth(1).waitFor();
  await page.getByRole("button", { name: "Add FIDO chip" }).click();
  const chip = page.locator("article.device").nth(2);
  await chip.getByTestId("fido-register").waitFor();
  // The chip registered and signed in with the page's relying party, its verdicts showing.
  await chip.getByLabel("Touch automatically").check();
  // Each ceremony timed from the click to the verdicts shown (CTAPHID in the tab, the chip's signature in
  // its image, the SDK's verification on @noble): the first registration, then sign-ins.
  const ceremony = async (b) => {
    const n = await chip.getByTestId("fido-outcome").getAttribute("data-n");
    const t0 = performance.now();
    await chip.getByTestId(b).click();
    await page.waitForFunction(([el, k]) => el?.getAttribute("data-n") !== k, [await chip.getByTestId("fido-outcome").elementHandle(), n]);
    return performance.now() - t0;
  };
  const reg = await ceremony("fido-register");
  const signIns = [];
  for (let i = 0; i < 2 * ROUNDS + 1; i++) signIns.push(await ceremony("fido-sign-in"));
  console.log(`chip registration in the page, click to verdicts ${reg.toFixed(0)} ms (the first, batch certificate new to the verifier)`);
  console.log(`chip sign-in in the page, click to verdicts      ${median(signIns).toFixed(0)} ms (median of ${signIns.length})`);
  await page.locator("article.device summary", { hasText: "Flash" }).first().click();
  await page.locator(".flash [role=listitem]").first().waitFor();
  await page.screenshot({ path: new URL("../docs/simulator-web.png", import.meta.url).pathname, fullPage: true });
} finally {
  await browser.close();
  await server.close();
}
