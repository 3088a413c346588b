// The chip's relying-party panel on the page: Register and Sign in with the chip, the touch asked for
// in words (the chip's Touch button, or "touch automatically"), and the broker's three verdicts —
// trust, counter, signature — apart, in words, in a live region; plus the ways to see each one fail
// (another maker's root, a flipped signature bit, a replay, a clone from a kept copy of the flash).
// The ceremonies themselves are chip-fido.ts; this file is only the DOM.
import type { Ctap2CallOptions } from "../../host-sdk/src/protocols/ctap2/client.js";
import { el as h } from "./dom.js";
import type { ChipLink, PageAccount, PageRelyingParty, SignInMode, Verdict, Verdicts } from "./chip-fido.js";

export interface FidoPanelOptions {
  /** Prefix for element ids (the device id). */
  readonly id: string;
  readonly rp: PageRelyingParty;
  readonly trustedName: string;
  readonly strangerName: string;
  /** Accounts registered on this chip (kept with the device). */
  readonly accounts: PageAccount[];
  /** Opens the SDK's clients on the chip (its reports logged). */
  openLink(): Promise<ChipLink>;
  /** Copies / restores the chip's data flash (a clone of the chip as it was). */
  copyFlash(): void;
  restoreFlash(): boolean;
  /** The accounts changed (a registration, a counter that moved): keep them. */
  saveAccounts(): void;
  log(line: string): void;
}

/** The shared "waiting for a touch" line and the "touch automatically" switch of one chip. */
export interface TouchControl {
  readonly element: HTMLElement;
  readonly auto: HTMLInputElement;
  /** Call options for a CTAP2 request that may wait for the user. */
  callOptions(what: string): Ctap2CallOptions;
  /** Says the chip waits for a touch for `what` (and touches at once when automatic). */
  waiting(what: string): void;
  done(): void;
}

export function touchControl(id: string, touch: () => void, log: (line: string) => void): TouchControl {
  const auto = h("input", { type: "checkbox", id: `${id}-auto-touch`, "data-testid": "auto-touch" });
  const status = h("output", { className: "touch-status", role: "status", "aria-live": "assertive", "data-testid": "touch-status" });
  let waitingFor = "";
  const waiting = (what: string): void => {
    if (waitingFor !== what) {
      waitingFor = what;
      status.textContent = `Waiting for a touch (${what}): press the chip's Touch button.`;
      status.dataset.waiting = "true";
      log(`waiting for a touch: ${what}`);
    }
    if (auto.checked) queueMicrotask(touch);
  };
  const done = (): void => { waitingFor = ""; status.textContent = ""; status.dataset.waiting = "false"; };
  const element = h("span", { className: "touch" }, auto, h("label", { for: auto.id }, "Touch automatically"), status);
  return {
    element, auto, waiting, done,
    callOptions: (what) => ({ onStatus: (s) => { if (s === "up-needed") waiting(what); else done(); } }),
  };
}

export function fidoPanel(o: FidoPanelOptions, touch: TouchControl): HTMLElement {
  const name = h("input", { type: "text", id: `${o.id}-account`, value: "anna", autocomplete: "off" });
  const root = h("select", { id: `${o.id}-root` },
    h("option", { value: "trusted" }, `this page's maker root (${o.trustedName})`),
    h("option", { value: "stranger" }, `another maker's root (${o.strangerName}): not this chip's maker`));
  const outcome = h("p", { className: "verdict", "data-testid": "fido-outcome" });
  const line = (testid: string): HTMLLIElement => h("li", { "data-testid": testid });
  const trust = line("verdict-trust"), counter = line("verdict-counter"), signature = line("verdict-signature");
  // One live region for the whole result: read once, when it is complete.
  const result = h("div", { role: "status", "aria-live": "polite", "aria-atomic": "true", className: "fido-result", "data-testid": "fido-result" }, outcome, h("ul", {}, trust, counter, signature));
  const accountLine = h("p", { "data-testid": "fido-account" });
  const showAccount = (): void => {
    const a = o.accounts.at(-1);
    accountLine.textContent = a ? `Signing in as “${a.name}” (${o.accounts.length} account${o.accounts.length > 1 ? "s" : ""} registered on this chip; the broker's counter ${a.credential.signCount}).` : "No account registered on this chip yet: Register first.";
  };
  showAccount();
  const show = (v: Verdicts): void => {
    outcome.textContent = v.outcome;
    outcome.dataset.accepted = String(v.accepted);
    outcome.dataset.n = String(++shown);
    const put = (li: HTMLLIElement, x: Verdict) => { li.textContent = x.text; li.dataset.ok = x.ok === undefined ? "info" : String(x.ok); };
    put(trust, v.trust); put(counter, v.counter); put(signature, v.signature);
  };
  let shown = 0; // data-n: how many results the region has shown (tests wait for it to change)
  let busy = false;
  const run = (what: string, f: (link: ChipLink) => Promise<Verdicts | undefined>) => async (): Promise<void> => {
    if (busy) { o.log(`${what}: another request to this chip is under way`); return; }
    busy = true;
    result.setAttribute("aria-busy", "true");
    let link: ChipLink | undefined;
    try {
      link = await o.openLink();
      const v = await f(link);
      if (v) { show(v); o.log(`${what}: ${v.outcome}`); }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      outcome.textContent = `${what} failed: ${msg}`;
      outcome.dataset.accepted = "false";
      outcome.dataset.n = String(++shown);
      for (const li of [trust, counter, signature]) { li.textContent = ""; delete li.dataset.ok; }
      o.log(`${what} failed: ${msg}`);
    } finally {
      touch.done();
      await link?.close();
      result.removeAttribute("aria-busy");
      busy = false;
    }
  };
  const current = async (): Promise<PageAccount> => {
    const a = o.accounts.at(-1);
    if (!a) throw new Error("no account registered on this chip yet: Register first");
    return a;
  };
  const signIn = (mode: SignInMode) => async (link: ChipLink): Promise<Verdicts> => {
    const a = await current();
    const v = await o.rp.signIn(link.ctap, a, { mode, call: touch.callOptions("getAssertion") });
    o.accounts[o.accounts.length - 1] = await o.rp.current(a);
    o.saveAccounts();
    showAccount();
    return v;
  };
  const register = async (link: ChipLink): Promise<Verdicts> => {
    const r = await o.rp.register(link.ctap, name.value.trim() || "anna", { root: root.value === "stranger" ? "stranger" : "trusted", call: touch.callOptions("makeCredential") });
    if (r.account) { o.accounts.push(r.account); o.saveAccounts(); showAccount(); }
    return r.verdicts;
  };
  const btn = (label: string, testid: string, fn: () => void): HTMLButtonElement => h("button", { type: "button", onclick: fn, "data-testid": testid }, label);
  const copyNote = h("span", { "data-testid": "flash-copy" });
  return h("fieldset", { className: "fido" }, h("legend", {}, "Relying party (in this page): register and sign in with this chip"),
    h("div", { className: "row" },
      h("label", { for: name.id }, "Account name"), name,
      h("label", { for: root.id }, "Broker trusts"), root),
    h("div", { className: "row" },
      btn("Register", "fido-register", run("register", register)),
      btn("Sign in", "fido-sign-in", run("sign in", signIn("honest")))),
    h("div", { className: "row", role: "group", "aria-label": "See a verdict fail" },
      btn("Sign in, one signature bit flipped", "fido-flip", run("sign in with a flipped signature bit", signIn("flip-signature-bit"))),
      btn("Replay the last assertion", "fido-replay", run("replay", signIn("replay"))),
      btn("Keep a copy of the chip's flash", "fido-copy", () => { o.copyFlash(); copyNote.textContent = "A copy of the flash is kept."; o.log("flash copied (for a clone)"); }),
      btn("Restore the kept copy (a clone)", "fido-restore", () => {
        const ok = o.restoreFlash();
        copyNote.textContent = ok ? "The chip now runs from the kept copy: its counter went back." : "No copy kept yet.";
        o.log(ok ? "flash restored to the kept copy: the chip is a clone of itself as it was" : "no flash copy to restore");
      }),
      copyNote),
    accountLine, result);
}

