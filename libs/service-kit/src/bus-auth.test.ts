import { createAccount, createUser, fromPublic } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { BusAuthError, nkeyFromSeed, nkeySigner } from './bus-auth.js';

describe('nkeySigner (Ed25519 by node:crypto)', () => {
  it('answers a nonce exactly as nats.js would: the same public key, a signature the key verifies', () => {
    for (let i = 0; i < 5; i++) {
      const kp = createUser();
      const auth = nkeySigner(kp.getSeed())('n0nce-' + i) as { nkey: string; sig: string };
      expect(auth.nkey).toBe(kp.getPublicKey());
      const sig = Uint8Array.from(Buffer.from(auth.sig, 'base64'));
      expect(fromPublic(auth.nkey).verify(new TextEncoder().encode('n0nce-' + i), sig)).toBe(true);
      expect(fromPublic(auth.nkey).verify(new TextEncoder().encode('other'), sig)).toBe(false);
    }
  });

  it('refuses a seed that is not a user seed, and a damaged one', () => {
    const seed = new TextDecoder().decode(createUser().getSeed());
    const damaged = seed.slice(0, 10) + (seed[10] === 'A' ? 'B' : 'A') + seed.slice(11);
    expect(() => nkeyFromSeed(new TextEncoder().encode(damaged))).toThrow();
    expect(() => nkeyFromSeed(new TextEncoder().encode('SU' + 'A'.repeat(56)))).toThrow();
    expect(() => nkeyFromSeed(createAccount().getSeed())).toThrow(BusAuthError);
  });
});
