export { openTarget, targetKind, READER_KEYS, type Target, type TargetKind, type TargetOptions, type Control } from "./target.js";
