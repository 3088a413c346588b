import { fuzzVerify } from "../host-sdk/dist/test/fido-fuzz.js";
for (const t of ["assertion","registration","cbor","cose","certificate"]) {
  const r = fuzzVerify(3000, 3, t);
  console.log(t, (r.totalMs/3000).toFixed(3), "ms/case; max cpu", r.maxMs.toFixed(2), "wall", r.maxWallMs.toFixed(1), "slow", r.slowCount, JSON.stringify(r.slow.slice(0,4)), "wrong", r.wronglyAcceptedCount, "untyped", r.untypedCount, "acc", r.byTarget[t].accepted, "thrown", r.byTarget[t].thrown);
}
