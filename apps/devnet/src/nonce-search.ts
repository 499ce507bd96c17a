/**
 * The proof-of-work inner loop: find the smallest counter c such that
 * SHA-256(prefix ‖ decimal(c)) ends in `difficulty` hex zeros.
 *
 * Only the nonce changes between attempts, so the prefix's full 64-byte blocks are compressed
 * once (the "midstate") and each attempt compresses just the last one or two blocks. Written
 * in plain 32-bit JS because node:crypto's per-call object cost (~3 µs) dwarfs the hash itself.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const w = new Int32Array(64);

/** One SHA-256 compression of the 64 bytes at `block[offset..]` into `state` (in place). */
function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** True when the digest (as 8 big-endian words) ends in `difficulty` hex zeros. */
function endsInZeros(state: Int32Array, difficulty: number): boolean {
  let nibbles = difficulty;
  for (let i = 7; i >= 0 && nibbles > 0; i--, nibbles -= 8) {
    const mask = nibbles >= 8 ? -1 : (1 << (4 * nibbles)) - 1;
    if ((state[i]! & mask) !== 0) return false;
  }
  return nibbles <= 0;
}

/** Longest decimal counter we ever try (2^53 has 16 digits). */
const MAX_COUNTER_DIGITS = 16;

/** Searches counters for one prefix; reusable across ranges, not across prefixes. */
export class NonceSearcher {
  private readonly midstate = new Int32Array(8);
  private readonly state = new Int32Array(8);
  /** The unhashed end of the prefix, then room for the nonce and up to two blocks of padding. */
  private readonly tail = new Uint8Array(128 + MAX_COUNTER_DIGITS);
  private readonly tailLen: number;
  private readonly prefixBits: number;

  constructor(prefix: Uint8Array) {
    this.midstate.set(IV);
    const full = prefix.length - (prefix.length % 64);
    for (let off = 0; off < full; off += 64) compress(this.midstate, prefix, off);
    this.tail.set(prefix.subarray(full));
    this.tailLen = prefix.length - full;
    this.prefixBits = prefix.length * 8;
  }

  /** Does prefix ‖ decimal(counter) meet the difficulty? */
  test(counter: number, difficulty: number): boolean {
    const digits = String(counter);
    const tail = this.tail;
    let n = this.tailLen;
    for (let i = 0; i < digits.length; i++) tail[n++] = digits.charCodeAt(i);
    const bits = this.prefixBits + digits.length * 8;
    tail[n++] = 0x80;
    const blocks = n + 8 <= 64 ? 1 : 2;
    const end = blocks * 64;
    tail.fill(0, n, end - 4);
    // Message length in bits, big-endian; prefixes are far below 2^32 bits.
    tail[end - 4] = bits >>> 24;
    tail[end - 3] = (bits >>> 16) & 0xff;
    tail[end - 2] = (bits >>> 8) & 0xff;
    tail[end - 1] = bits & 0xff;
    const state = this.state;
    state.set(this.midstate);
    compress(state, tail, 0);
    if (blocks === 2) compress(state, tail, 64);
    return endsInZeros(state, difficulty);
  }

  /** Lowercase hex digest of the last attempt `test` made (after a hit in `search`: the winner's). */
  digestHex(): string {
    let hex = '';
    for (let i = 0; i < 8; i++) hex += (this.state[i]! >>> 0).toString(16).padStart(8, '0');
    return hex;
  }

  /** The smallest counter in [from, to) that meets the difficulty, or -1. */
  search(difficulty: number, from: number, to: number): number {
    for (let c = from; c < to; c++) if (this.test(c, difficulty)) return c;
    return -1;
  }
}
