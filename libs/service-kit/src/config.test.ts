import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, readConfig, serviceConfigSchema } from './config.js';

describe('readConfig', () => {
  const schema = serviceConfigSchema(
    Type.Object({ BATCH: Type.Integer({ minimum: 1, default: 10 }), FLAG: Type.Boolean({ default: false }) }),
    9100,
  );

  it('applies defaults and converts strings', () => {
    const c = readConfig(schema, { BATCH: '25', FLAG: 'true' });
    expect(c).toMatchObject({
      BATCH: 25,
      FLAG: true,
      OPS_PORT: 9100,
      NODE_PREFIX: 'chain',
      LOG_LEVEL: 'info',
    });
  });

  it('throws a ConfigError naming the variable', () => {
    expect(() => readConfig(schema, { BATCH: '0' })).toThrow(ConfigError);
    expect(() => readConfig(schema, { BATCH: '0' })).toThrow(/BATCH="0" — expected integer ≥ 1/);
    expect(() => readConfig(schema, { LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL="loud"/);
  });
});
