// `segl sim web` in a real browser: Debian's chromium, headless, driven by playwright-core (the system
// browser, nothing downloaded). The page runs the devices itself from the image the server hands out.
import { test, describe, beforeAll, afterAll } from "vitest";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { totp } from "@segl/host-sdk/otp";
import { requireTools } from "../../../scripts/system-deps.mjs";
import { startWebServer, type WebServer } from "../src/sim-web.js";
import { ROOT } from "./root.js";

const require = createRequire(import.meta.url);
const shippedSha = createHash("sha256").update(readFileSync(`${ROOT}/firmware/build/firmware.wasm`)).digest("hex");

describe("segl sim web (chromium headless)", () => {
  let server: WebServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    requireTools("chromium");
    server = await startWebServer({ port: 0 });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"] });
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(server.url);
    await page.getByTestId("image-sha").waitFor({ timeout: 15_000 });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const lastDevice = () => page.locator("article.device").last();

  test("the page runs the shipping image: the SHA-256 it shows is the built image's, and the server's", async () => {
    assert.equal(server.imageSha256, shippedSha);
    assert.equal(await page.getByTestId("image-sha").textContent(), shippedSha);
  });

  test("a code display added on the page shows, on a press, the TOTP of its enrolled seed at its RTC", async () => {
    await page.getByRole("button", { name: "Add code display" }).click();
    const dev = lastDevice();
    await dev.getByTestId("seed").waitFor();
    await dev.getByTestId("press").click();
    const lcd = dev.getByTestId("lcd");
    await page.waitForFunction((el) => /^\d{6}$/.test(el?.textContent ?? ""), await lcd.elementHandle());
    const shown = (await lcd.textContent())!;
    const rtc = Number(await lcd.getAttribute("data-rtc"));
    const seed = Buffer.from((await dev.getByTestId("seed").textContent())!, "hex");
    assert.equal(seed.length, 20);
    assert.equal(shown, totp(seed, { time: rtc / 1000 }));
  });

  test("the event log reads the UART as service frames: provisioning shows → PROVISION, ← PROVISION OK and the INFO answer decoded", async () => {
    const log = (await lastDevice().locator(".log").textContent())!;
    assert.match(log, /→ PROVISION \(\d+ B\)/);
    assert.match(log, /← PROVISION OK/);
    assert.match(log, /← INFO OK model 1 locked firmware \d+\.\d+\.\d+ serial SIM-DISP-/);
    assert.doesNotMatch(log, /CRC failure|outside any frame/);
  });

  /** Clicks and returns the verdict the page then shows (it is written once the SDK's verifier has answered). */
  const verdictOf = async (click: () => Promise<void>): Promise<string> => {
    const verdict = lastDevice().getByTestId("verdict");
    await verdict.evaluate((e) => { e.textContent = ""; });
    await click();
    await page.waitForFunction((e) => (e?.textContent ?? "") !== "", await verdict.elementHandle());
    return (await verdict.textContent())!;
  };

  test("the page's broker (the SDK's TotpVerifier on a MemoryStore, @noble in the page) accepts the LCD's code once, refuses a replay, counts wrong codes and locks after 3", async () => {
    const dev = lastDevice();
    const shown = (await dev.getByTestId("lcd").textContent())!;
    assert.match(await verdictOf(() => dev.getByTestId("verify-lcd").click()), new RegExp(`^${shown}: ACCEPTED \\(step \\d+, (no drift|drift -1 step)\\)$`));
    assert.equal(await verdictOf(() => dev.getByTestId("verify-lcd").click()), `${shown}: REFUSED: replay (code already used)`);
    const wrong = String((Number(shown) + 1) % 1_000_000).padStart(6, "0");
    await dev.getByLabel("Code to verify").fill(wrong);
    assert.equal(await verdictOf(() => dev.getByTestId("verify").click()), `${wrong}: REFUSED: wrong code (1 of 3 before a lock)`);
    assert.equal(await verdictOf(() => dev.getByTestId("verify").click()), `${wrong}: REFUSED: wrong code (2 of 3 before a lock)`);
    assert.match(await verdictOf(() => dev.getByTestId("verify").click()), new RegExp(`^${wrong}: REFUSED: wrong code; locked until \\d\\d:\\d\\d:\\d\\d after 3 wrong codes$`));
    assert.match(await verdictOf(() => dev.getByTestId("verify-lcd").click()), new RegExp(`^${shown}: REFUSED: locked until \\d\\d:\\d\\d:\\d\\d$`));
  });

  test("the device and its flash survive a reload (IndexedDB): same serial, same seed, codes still right, the broker's lock kept", async () => {
    const before = await page.locator("article.device h3").allTextContents();
    const seedBefore = await lastDevice().getByTestId("seed").textContent();
    await page.reload();
    await page.getByTestId("image-sha").waitFor();
    assert.deepEqual(await page.locator("article.device h3").allTextContents(), before);
    const dev = lastDevice();
    assert.equal(await dev.getByTestId("seed").textContent(), seedBefore);
    await dev.getByTestId("press").click();
    const lcd = dev.getByTestId("lcd");
    await page.waitForFunction((el) => /^\d{6}$/.test(el?.textContent ?? ""), await lcd.elementHandle());
    assert.equal(await lcd.textContent(), totp(Buffer.from(seedBefore!, "hex"), { time: Number(await lcd.getAttribute("data-rtc")) / 1000 }));
    // The broker's state came back with the device: still locked.
    assert.match(await verdictOf(() => dev.getByTestId("verify-lcd").click()), /: REFUSED: locked until /);
  });

  test("a display updated in the page (firmware-next, signed there) runs 0.2.0 after its trial boot; a reload keeps the image and its boot record (IndexedDB)", async () => {
    const dev = lastDevice();
    await dev.getByTestId("update").click();
    const log = dev.locator(".log");
    await page.waitForFunction((el) => /updated: INFO reports firmware|update failed/.test(el?.textContent ?? ""), await log.elementHandle(), { timeout: 20_000 });
    const text = (await log.textContent())!;
    assert.match(text, /updated: INFO reports firmware 0\.2\.0 after the trial boot/);
    assert.match(text, /update data: \d+ \/ \d+ B/);
    assert.match(text, /→ UPDATE_DATA offset \d+ \(\d+ B\)[^]*← UPDATE_DATA OK \d+ B received/); // the view keeps the last 200 lines: the first chunks are gone
    // The view keeps the newest 200 lines (reboots add lines until it is full), "Save the event log" all of them.
    for (let i = 0; i < 150 && /→ UPDATE_DATA offset 0 /.test((await log.textContent())!); i++) await dev.getByTestId("reboot").click();
    assert.doesNotMatch((await log.textContent())!, /→ UPDATE_DATA offset 0 /, "the first chunk has left the view");
    assert.equal(await log.locator("li").count(), 200);
    const [download] = await Promise.all([page.waitForEvent("download"), dev.getByTestId("save-log").click()]);
    assert.match(download.suggestedFilename(), /^.+-event-log\.txt$/);
    const saved = readFileSync((await download.path())!, "utf8").split("\n");
    assert.match(saved[0]!, /^# .+: \d+ event log line\(s\), oldest first$/);
    assert.ok(saved.length > 200, `${saved.length} lines saved`);
    const at = (re: RegExp) => saved.findIndex((l) => re.test(l));
    assert.ok(at(/→ UPDATE_DATA offset 0 /) > 0 && at(/→ UPDATE_DATA offset 0 /) < at(/updated: INFO reports firmware 0\.2\.0/), "the first chunk, then the update's end, in that order");
    const running = dev.getByTestId("running");
    // The trial image confirms itself at the end of its boot: B becomes the active slot, the counter rises to the image's.
    await page.waitForFunction((el) => /image 0\.2\.0 from slot B; boot record #\d+: active B, counter 1$/.test(el?.textContent ?? ""), await running.elementHandle());
    const before = (await running.textContent())!;
    await page.waitForTimeout(400); // the page stores both flashes on its next 250 ms tick
    await page.reload();
    await page.getByTestId("image-sha").waitFor();
    assert.equal(await lastDevice().getByTestId("running").textContent(), before);
  }, 30_000);

  test("an audio reader speaks its code through WebAudio; a power cut at its next flash write (a speed change, kept in the store) leaves it off, and it comes back", async () => {
    await page.getByRole("button", { name: "Add audio code reader" }).click();
    const dev = lastDevice();
    await dev.getByTestId("seed").waitFor();
    await dev.getByTestId("press").click();
    // Six digits and the words around them at 8 kHz: well over a second of samples.
    await page.waitForFunction((el) => Number(el?.getAttribute("data-audio-samples") ?? 0) > 8000, await dev.elementHandle(), { timeout: 20_000 });
    await dev.getByLabel("Cut at flash write N").fill("1");
    await dev.getByTestId("arm-cut").click();
    await dev.getByTestId("speed-up").click();
    await page.waitForFunction((el) => el?.textContent === "power: off", await dev.getByTestId("power").elementHandle());
    await dev.getByTestId("power-on").click();
    assert.equal(await dev.getByTestId("power").textContent(), "power: on");
    assert.match(await dev.locator(".log").textContent() ?? "", /power off[\s\S]*power cut armed/);
  }, 30_000);

  test("the flash picture reads the store: active pages with live records, described in words", async () => {
    const dev = lastDevice();
    await dev.locator("summary", { hasText: "Flash" }).click();
    const labels = dev.locator(".flash [role=listitem]");
    await labels.first().waitFor();
    const all = await labels.evaluateAll((els) => els.map((e) => e.getAttribute("aria-label") ?? ""));
    assert.ok(all.length >= 2);
    const live = all.map((t) => /active, log position \d+; (\d+) bytes live/.exec(t)).filter((m) => m !== null);
    assert.ok(live.length >= 1 && live.some((m) => Number(m![1]) > 0), all.join("\n"));
  });

  test("a chip added on the page is provisioned as one with the page's batch attestation, answers CTAP2 getInfo over CTAPHID, and its log reads the messages", async () => {
    await page.getByRole("button", { name: "Add FIDO chip" }).click();
    const dev = lastDevice();
    const log = dev.locator(".log");
    await page.waitForFunction((el) => /provisioned as a chip and locked/.test(el?.textContent ?? ""), await log.elementHandle());
    await dev.getByTestId("get-info").click();
    await page.waitForFunction((el) => /getInfo (answered|failed)/.test(el?.textContent ?? ""), await log.elementHandle());
    const text = (await log.textContent())!; // newest line first
    assert.match(text, /getInfo answered: versions [^\n]*FIDO_2_0/);
    assert.match(text, /batch attestation issued by “Segl simulator maker root”/);
    assert.match(text, /← service ATTESTATION OK[^]*→ service ATTESTATION \(\d+ B\)/);
    assert.match(text, /← service ATTESTATION OK[^]*← service PROVISION OK[^]*→ service PROVISION \(\d+ B\)/);
    assert.match(text, /← CBOR GET_INFO CTAP2_OK \(\d+ B\)[^]*→ CBOR GET_INFO/);
  });

  const verdicts = async (dev: ReturnType<typeof lastDevice>) => ({
    outcome: (await dev.getByTestId("fido-outcome").textContent())!,
    trust: (await dev.getByTestId("verdict-trust").textContent())!,
    counter: (await dev.getByTestId("verdict-counter").textContent())!,
    signature: (await dev.getByTestId("verdict-signature").textContent())!,
  });
  /** Clicks a panel button and waits for the result region to be complete again. */
  const ceremony = async (dev: ReturnType<typeof lastDevice>, testid: string) => {
    const before = await dev.getByTestId("fido-outcome").getAttribute("data-n");
    await dev.getByTestId(testid).click();
    await page.waitForFunction(([el, b]) => el !== null && !(el as Element).hasAttribute("aria-busy") && (el as Element).querySelector("[data-testid=fido-outcome]")?.getAttribute("data-n") !== b,
      [await dev.getByTestId("fido-result").elementHandle(), before] as const);
    return verdicts(dev);
  };

  test("register with the chip: the page asks for a touch, the Touch button gives it; trust, counter and signature verdicts in words", async () => {
    const dev = lastDevice();
    await dev.getByTestId("fido-register").click();
    const touch = dev.getByTestId("touch-status");
    await page.waitForFunction((el) => /Waiting for a touch \(makeCredential\): press the chip's Touch button/.test(el?.textContent ?? ""), await touch.elementHandle());
    await dev.getByTestId("press").click();
    await page.waitForFunction((el) => /Broker:/.test(el?.textContent ?? ""), await dev.getByTestId("fido-outcome").elementHandle());
    const v = await verdicts(dev);
    assert.equal(v.outcome, "Broker: ACCEPTED");
    assert.match(v.trust, /^Trust: TRUSTED — the attestation chains to the maker root “Segl simulator maker root”/);
    assert.match(v.counter, /^Counter: STARTS at \d+\.$/);
    assert.match(v.signature, /^Signature: VALID/);
    assert.equal(await touch.textContent(), "", "the touch prompt is gone");
    assert.match((await dev.locator(".log").textContent())!, /← CBOR MAKE_CREDENTIAL CTAP2_OK[^]*touched[^]*← KEEPALIVE cid [0-9a-f]{8} waiting for a touch[^]*→ CBOR MAKE_CREDENTIAL \(\d+ B\)/);
  });

  let counter = 0;
  test("sign in (touch automatically): the counter increases from the stored value, signature valid, trust as registered", async () => {
    const dev = lastDevice();
    await dev.getByLabel("Touch automatically").check();
    const v = await ceremony(dev, "fido-sign-in");
    assert.equal(v.outcome, "Broker: ACCEPTED", JSON.stringify(v));
    const m = /^Counter: INCREASED from (\d+) to (\d+)\.$/.exec(v.counter);
    assert.ok(m && Number(m[2]) > Number(m[1]), v.counter);
    counter = Number(m[2]);
    assert.match(v.signature, /^Signature: VALID/);
    assert.match(v.trust, /^Trust: TRUSTED — registered with an attestation that chains/);
    assert.match((await dev.locator(".log").textContent())!, /← CBOR GET_ASSERTION CTAP2_OK[^]*→ CBOR GET_ASSERTION \(\d+ B\)/);
  });

  test("a flipped signature bit: signature INVALID, counter not moved, trust still good", async () => {
    const dev = lastDevice();
    const v = await ceremony(dev, "fido-flip");
    assert.equal(v.outcome, "Broker: REFUSED (signature-invalid)");
    assert.match(v.signature, /^Signature: INVALID/);
    assert.match(v.counter, new RegExp(`^Counter: NOT MOVED — stays at ${counter} `));
    assert.match(v.trust, /^Trust: TRUSTED/);
  });

  test("a replayed assertion: refused on its used challenge, signature not checked, counter not moved", async () => {
    const dev = lastDevice();
    const v = await ceremony(dev, "fido-replay");
    assert.equal(v.outcome, "Broker: REFUSED (challenge-unknown)");
    assert.match(v.signature, /^Signature: NOT CHECKED/);
    assert.match(v.counter, new RegExp(`^Counter: NOT MOVED — stays at ${counter} `));
  });

  test("a clone (the chip's flash restored to a copy kept earlier): counter REGRESSED, signature valid", async () => {
    const dev = lastDevice();
    await dev.getByTestId("fido-copy").click();
    const ok = await ceremony(dev, "fido-sign-in");
    assert.equal(ok.outcome, "Broker: ACCEPTED");
    counter = Number(/to (\d+)\.$/.exec(ok.counter)![1]);
    await dev.getByTestId("fido-restore").click();
    const v = await ceremony(dev, "fido-sign-in");
    assert.equal(v.outcome, "Broker: REFUSED (counter-regressed)");
    assert.match(v.counter, new RegExp(`^Counter: REGRESSED — the chip says \\d+, the broker had ${counter}`));
    assert.match(v.signature, /^Signature: VALID/);
    assert.match(v.trust, /^Trust: TRUSTED/);
  });

  test("registering against another maker's root: trust FAILED, the attestation signature valid, nothing stored", async () => {
    const dev = lastDevice();
    await dev.getByLabel("Broker trusts").selectOption("stranger");
    const v = await ceremony(dev, "fido-register");
    assert.match(v.outcome, /^Broker: REFUSED \(.*attestation-invalid/);
    assert.match(v.trust, /^Trust: FAILED — the attestation does not chain to the trusted maker root “Another maker's root”/);
    assert.match(v.signature, /^Signature: VALID/);
    assert.match(v.counter, /^Counter: NOT STORED/);
    await dev.getByLabel("Broker trusts").selectOption("trusted");
  });

  test("the chip updated over its HID tunnel: the page waits for a touch, runs 0.2.0 from slot B, kept across a reload; its credential still signs, the counter going on", async () => {
    const dev = lastDevice();
    await dev.getByLabel("Touch automatically").uncheck();
    // the clone's refusals left the chip's counter below the broker's: sign in until it passes it
    for (let i = 0; i < 10; i++) {
      await dev.getByLabel("Touch automatically").check();
      if ((await ceremony(dev, "fido-sign-in")).outcome === "Broker: ACCEPTED") break;
    }
    await dev.getByLabel("Touch automatically").uncheck();
    counter = Number(/to (\d+)\.$/.exec((await verdicts(dev)).counter)![1]);
    await dev.getByTestId("update").click();
    const touch = dev.getByTestId("touch-status");
    await page.waitForFunction((el) => /Waiting for a touch \(update\)/.test(el?.textContent ?? ""), await touch.elementHandle(), { timeout: 20_000 });
    const log = dev.locator(".log");
    assert.match((await log.textContent())!, /← service UPDATE_BEGIN PRESENCE_REQUIRED/);
    await dev.getByTestId("press").click();
    await page.waitForFunction((el) => /updated: INFO reports firmware|update failed/.test(el?.textContent ?? ""), await log.elementHandle(), { timeout: 30_000 });
    const text = (await log.textContent())!;
    assert.match(text, /updated: INFO reports firmware 0\.2\.0 after the trial boot/);
    assert.match(text, /→ service UPDATE_DATA offset \d+ \(\d+ B\)[^]*← service UPDATE_DATA OK \d+ B received/);
    const running = dev.getByTestId("running");
    await page.waitForFunction((el) => /image 0\.2\.0 from slot B; boot record #\d+: active B, counter 1$/.test(el?.textContent ?? ""), await running.elementHandle());
    await dev.getByLabel("Touch automatically").check();
    const v = await ceremony(dev, "fido-sign-in");
    assert.equal(v.outcome, "Broker: ACCEPTED");
    assert.match(v.counter, new RegExp(`^Counter: INCREASED from ${counter} to \\d+\\.$`));
    counter = Number(/to (\d+)\.$/.exec(v.counter)![1]);
    const before = (await running.textContent())!;
    await page.waitForTimeout(400); // the page stores both flashes on its next 250 ms tick
    await page.reload();
    await page.getByTestId("image-sha").waitFor();
    const again = lastDevice();
    assert.equal(await again.getByTestId("running").textContent(), before);
    await again.getByLabel("Touch automatically").check();
    const after = await ceremony(again, "fido-sign-in");
    assert.equal(after.outcome, "Broker: ACCEPTED", "the account was kept across the reload");
    assert.match(after.counter, new RegExp(`^Counter: INCREASED from ${counter} to \\d+\\.$`));
  }, 60_000);

  test("keyboard only: every control of the chip's panel is reached with Tab", async () => {
    const dev = lastDevice();
    await dev.getByTestId("update").focus();
    const want = ["Touch", "CTAP2 getInfo over CTAPHID", "Touch automatically", "Account name", "Broker trusts", "Register", "Sign in", "Sign in, one signature bit flipped",
      "Replay the last assertion", "Keep a copy of the chip's flash", "Restore the kept copy (a clone)"];
    const seen = new Set<string>();
    for (let i = 0; i < 60 && !want.every((w) => seen.has(w)); i++) {
      await page.keyboard.press("Tab");
      seen.add(await page.evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        if (!a) return "";
        const label = a.id ? document.querySelector(`label[for="${a.id}"]`)?.textContent : undefined;
        return (label ?? a.textContent ?? "").trim();
      }));
    }
    assert.deepEqual(want.filter((w) => !seen.has(w)), []);
  });

  test("keyboard only: Tab reaches “Add code display”, Enter adds one, Tab reaches its button, Space presses it", async () => {
    await page.reload(); // focus starts at the top of the page
    await page.getByTestId("image-sha").waitFor();
    const before = await page.locator("article.device").count();
    let name = "";
    for (let i = 0; i < 10 && name !== "Add code display"; i++) {
      await page.keyboard.press("Tab");
      name = await page.evaluate(() => document.activeElement?.textContent ?? "");
    }
    assert.equal(name, "Add code display");
    await page.keyboard.press("Enter");
    const dev = page.locator("article.device").nth(before);
    await dev.getByTestId("seed").waitFor();
    for (let i = 0; i < 200 && name !== "Press button"; i++) {
      await page.keyboard.press("Tab");
      name = await page.evaluate((n) => (document.activeElement?.closest("article.device") === document.querySelectorAll("article.device")[n] ? document.activeElement?.textContent ?? "" : ""), before);
    }
    assert.equal(name, "Press button");
    await page.keyboard.press("Space");
    await page.waitForFunction((el) => /^\d{6}$/.test(el?.textContent ?? ""), await dev.getByTestId("lcd").elementHandle());
  });

  test("axe-core finds no serious or critical accessibility violation", async () => {
    await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
    const violations = await page.evaluate(async () => {
      const r = await (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run();
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    assert.deepEqual(violations.filter((v) => v.impact === "serious" || v.impact === "critical"), []);
  });
});

test("the browser bundle holds the portable core only: browser/host.ts in, the Node host module and node: imports out", () => {
  const meta = JSON.parse(readFileSync(`${ROOT}/simulator/web/dist/meta.json`, "utf8")) as { inputs: Record<string, { imports: { path: string }[] }> };
  const inputs = Object.keys(meta.inputs);
  assert.ok(inputs.includes("simulator/src/browser/host.ts"));
  assert.ok(inputs.includes("simulator/src/device.ts"));
  assert.ok(!inputs.includes("simulator/src/host.ts"));
  for (const f of ["pty", "udp-bridge", "control-server", "serial-binding", "voice-file"]) assert.ok(!inputs.includes(`simulator/src/${f}.ts`), f);
  assert.deepEqual(Object.values(meta.inputs).flatMap((i) => i.imports.map((x) => x.path)).filter((p) => p.startsWith("node:")), []);
});
