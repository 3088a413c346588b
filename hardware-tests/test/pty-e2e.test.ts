// End to end over a real pseudo-terminal opened by the serialport package: provision, set the
// time, press, read the display, verify with the SDK's broker verifier (SQLite state), and
// cross-check the code with Debian's oathtool as an independent implementation.
import { test } from "vitest";
import { requireTools } from "../../scripts/system-deps.mjs";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { base32Encode, provisionDevice, SqliteStore, TotpVerifier } from "@segl/host-sdk";
import { openTarget } from "../src/index.js";

test("PTY + serialport: provision, set time, press, read, verify (SDK + oathtool)", async () => {
  requireTools("socat", "oathtool");
  const t = await openTarget("pty");
  const dir = mkdtempSync(join(tmpdir(), "segl-e2e-"));
  const store = new SqliteStore(join(dir, "broker.sqlite"), { secretKey: randomBytes(32) });
  try {
    assert.equal(t.transport.kind, "serial", "a real serial port, not the in-memory path");
    const now = t.control!.now();
    const p = await provisionDevice(t.client, { model: "code-display", algorithm: "SHA256", digits: 6, period: 30, serial: "E2E-PTY-1", timeMs: now, lock: true });
    assert.equal(p.info.state, "locked");

    const verifier = new TotpVerifier({ store, clock: () => t.control!.now() });
    await verifier.enroll(p.serial, { secret: p.seed, algorithm: "SHA256", digits: 6, period: 30 });

    for (let i = 0; i < 3; i++) {
      t.control!.press();
      const shown = t.control!.display();
      assert.match(shown, /^\d{6}$/);
      const unix = Math.floor(t.control!.now() / 1000);
      const oath = execFileSync("oathtool", ["--totp=sha256", "-b", "-N", `@${unix}`, base32Encode(p.seed)], { encoding: "utf8" }).trim();
      assert.equal(shown, oath, "oathtool agrees with the device");
      const r = await verifier.verify(p.serial, shown);
      assert.equal(r.verified, true, `code ${i} accepted`);
      assert.equal((await verifier.verify(p.serial, shown)).verified, false, "replay refused");
      t.control!.advance(30_000);
    }
  } finally {
    store.close();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
