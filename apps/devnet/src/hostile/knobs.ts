import { parseDurationMs } from '../cli-args.js';

/**
 * A mode's tunable settings ("knobs"): each has a kind, a default, a range or a set of values,
 * and a line of documentation. One description serves the TypeScript API (typed values), the
 * CLI (`--hostile-option key=value`) and the README table.
 */
export type KnobSpec =
  | { kind: 'int'; default: number; min: number; max: number; doc: string }
  | { kind: 'ms'; default: number; min: number; max: number; doc: string }
  | { kind: 'choice'; default: string; values: readonly string[]; doc: string };

export type KnobSpecs = Readonly<Record<string, KnobSpec>>;

type KnobValue<S> = S extends { kind: 'choice'; values: readonly (infer V)[] } ? V : number;

/** The typed values of a set of knobs (`int` and `ms` are numbers, a `choice` is one of its values). */
export type KnobValues<K extends KnobSpecs> = { readonly [k in keyof K]: KnobValue<K[k]> };

export function int(def: number, min: number, max: number, doc: string) {
  return { kind: 'int' as const, default: def, min, max, doc };
}

export function ms(def: number, min: number, max: number, doc: string) {
  return { kind: 'ms' as const, default: def, min, max, doc };
}

export function choice<const V extends readonly string[]>(values: V, def: V[number], doc: string) {
  return { kind: 'choice' as const, default: def, values, doc };
}

export class HostileOptionError extends Error {
  readonly code = 'bad_hostile_options';
}

function checkValue(where: string, spec: KnobSpec, value: unknown): number | string {
  if (spec.kind === 'choice') {
    if (typeof value === 'string' && spec.values.includes(value)) return value;
    throw new HostileOptionError(`${where} must be one of ${spec.values.join('|')} (got ${String(value)})`);
  }
  const n = value as number;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < spec.min || n > spec.max) {
    const unit = spec.kind === 'ms' ? ' ms' : '';
    throw new HostileOptionError(
      `${where} must be an integer in ${spec.min}..${spec.max}${unit} (got ${String(value)})`,
    );
  }
  return n;
}

/** Every knob of a mode: the given value after a range check, else the default. Unknown keys are refused. */
export function resolveKnobs<K extends KnobSpecs>(
  mode: string,
  specs: K,
  given: Readonly<Record<string, unknown>> = {},
): KnobValues<K> {
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      const known = Object.keys(specs).join(', ') || 'none';
      throw new HostileOptionError(`${mode} has no option "${key}" (it has: ${known})`);
    }
  }
  const out: Record<string, number | string> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const v = given[key];
    out[key] = v === undefined ? spec.default : checkValue(`${mode}.${key}`, spec, v);
  }
  return out as KnobValues<K>;
}

/** A knob's value from CLI text: `int` a decimal integer, `ms` a duration (`4500`, `4.5s`, `100ms`), `choice` as is. */
export function parseKnobText(spec: KnobSpec, text: string): number | string {
  if (spec.kind === 'choice') return text;
  if (spec.kind === 'ms') return parseDurationMs(text);
  return /^\d+$/.test(text) ? Number(text) : NaN;
}

/** `1000000000`, `4.5s`, `none|null|relabel`: a knob's default and range for help texts and the README. */
export function describeKnob(spec: KnobSpec): string {
  if (spec.kind === 'choice') return `${spec.values.join('|')} (default ${spec.default})`;
  const unit = spec.kind === 'ms' ? ' ms' : '';
  return `${spec.min}..${spec.max}${unit} (default ${spec.default}${unit})`;
}
