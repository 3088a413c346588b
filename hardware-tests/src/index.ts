export { openTarget, targetKind, type Target, type TargetKind, type Control } from "./target.js";
