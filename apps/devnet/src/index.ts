/** The devnet as a library, for end-to-end tests and benchmarks. */
export {
  startDevnet,
  DEFAULT_DEVNET_BLOCKS,
  DEFAULT_DEVNET_DIFFICULTY,
  type Devnet,
  type DevnetOptions,
} from './devnet.js';
export { DevnetPeer, type PeerCounters, type DropReason } from './peer.js';
export { generateChain, mineChain, mineBlock, DEFAULT_SEED, type GenerateOptions } from './generate.js';
export {
  readChainFile,
  writeChainFile,
  verifyChainFile,
  blockLine,
  type VerifyResult,
} from './chain-file.js';
export { parseFaults, faultsFor, describeFaults, type FaultSet, type FaultSpec } from './faults.js';
export { ServedChain } from './served-chain.js';
export { MinerPool } from './miner-pool.js';
export { parseHostPorts } from './addresses.js';
export {
  startHostile,
  HOSTILE_MODES,
  parseHostileKnobs,
  parseHostileModes,
  type HostileHandle,
  type HostileKnobs,
  type HostileMode,
  type HostileOptions,
  type HostileStats,
  type KnobsOf,
  type ModeStats,
} from './hostile/index.js';
export { seededRand } from './content.js';
