// `@segl/host-sdk/provision`: what a device maker does before a device ships. A code display or
// audio code reader is provisioned over its service port (PROVISION, SET_TIME, LOCK, then INFO to
// confirm the device holds what was sent); a chip's attestation comes from the maker's CA and a
// batch certificate. See host-sdk/docs/provision.md.
// provisionDevice lives in ./provision-device.js, which imports nothing of node: (the simulator's browser page uses it).
export * from "./provision-device.js";
export * from "./fido/ca.js"; // the maker CA and batch attestation certificates
