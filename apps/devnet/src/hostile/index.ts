/** The hostile devnet: every attack of issue 12, mounted against a real node. */
export { startHostile, type HostileHandle, type HostileOptions, type HostileStats } from './start.js';
export {
  HOSTILE_MODES,
  MODES,
  hostileHelp,
  parseHostileKnobs,
  parseHostileModes,
  type HostileKnobs,
  type HostileMode,
  type KnobsOf,
} from './registry.js';
export type { ModeStats, Traffic } from './context.js';
export { startReporter, summarize } from './report.js';
