/** The probe as a library, for end-to-end tests. */
export { runProbe, localAddressFor, type ProbeOptions } from './probe.js';
export {
  CHECKS,
  CHECK_IDS,
  exitCode,
  renderText,
  type CheckId,
  type CheckResult,
  type ProbeReport,
  type Status,
} from './report.js';
export { parseProbeArgs, parseHostPort, USAGE } from './args.js';
