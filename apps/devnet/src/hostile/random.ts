/** Random strings from an injected source, so a seeded run repeats exactly. */

const HEX = '0123456789abcdef';

export function randomHex(rand: () => number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += HEX[Math.floor(rand() * 16)];
  return s;
}

export function randomDigits(rand: () => number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += String(Math.floor(rand() * 10));
  return s;
}

/** A gossip id in the uuid shape peers use (SPEC §2.1), fresh for every GOSSIP. */
export function randomId(rand: () => number): string {
  const h = randomHex(rand, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
