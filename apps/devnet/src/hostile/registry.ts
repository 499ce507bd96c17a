import { HostileOptionError, describeKnob, parseKnobText, type KnobSpec, type KnobValues } from './knobs.js';
import type { ModeDefinition } from './mode.js';
import { announceFlood } from './modes/announce-flood.js';
import { consensusFlood } from './modes/consensus-flood.js';
import { fakePeers } from './modes/fake-peers.js';
import { fatDatagrams } from './modes/fat-datagrams.js';
import { forkLiar } from './modes/fork-liar.js';
import { getBlockFlood } from './modes/get-block-flood.js';
import { gossipReflect } from './modes/gossip-reflect.js';
import { junkSwarm } from './modes/junk-swarm.js';
import { privateBranch } from './modes/private-branch.js';
import { slow } from './modes/slow.js';
import { staleAnswers } from './modes/stale-answers.js';
import { tallClaims } from './modes/tall-claims.js';
import { wideBlocks } from './modes/wide-blocks.js';

/** Every attack, in the order of issue 12's leads. */
export const MODES = [
  fatDatagrams,
  tallClaims,
  wideBlocks,
  fakePeers,
  forkLiar,
  junkSwarm,
  privateBranch,
  announceFlood,
  consensusFlood,
  getBlockFlood,
  gossipReflect,
  slow,
  staleAnswers,
] as const;

export type HostileMode = (typeof MODES)[number]['name'];
export const HOSTILE_MODES: readonly HostileMode[] = MODES.map((m) => m.name);

type ModeNamed<M extends HostileMode> = Extract<(typeof MODES)[number], { name: M }>;
/** The knobs of mode `M`, typed (e.g. `KnobsOf<'tall-claims'>['blocks']` is `'none' | 'null' | 'relabel'`). */
export type KnobsOf<M extends HostileMode> = KnobValues<ModeNamed<M>['knobs']>;
/** Knobs per mode; anything left out takes its default. */
export type HostileKnobs = { [M in HostileMode]?: Partial<KnobsOf<M>> };

export function modeDefinition(name: HostileMode): ModeDefinition {
  return MODES.find((m) => m.name === name)! as unknown as ModeDefinition;
}

function isMode(name: string): name is HostileMode {
  return (HOSTILE_MODES as readonly string[]).includes(name);
}

/** `all` or `MODE,MODE,…` → the modes, each once, in the order given. */
export function parseHostileModes(text: string): HostileMode[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.includes('all')) return [...HOSTILE_MODES];
  if (names.length === 0) throw new HostileOptionError('--hostile needs a mode (or all)');
  for (const n of names) {
    if (!isMode(n))
      throw new HostileOptionError(`unknown hostile mode "${n}" (${HOSTILE_MODES.join(', ')}, all)`);
  }
  return [...new Set(names as HostileMode[])];
}

/**
 * `--hostile-option` text, `KEY=VALUE,MODE.KEY=VALUE,…`, into knobs: `MODE.KEY` sets one mode's
 * knob; a bare `KEY` sets it on every selected mode that has it (an error when none has).
 * Values are checked against each knob's range when the modes start.
 */
export function parseHostileKnobs(text: string, modes: readonly HostileMode[]): HostileKnobs {
  const out: Record<string, Record<string, number | string>> = {};
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^(?:([a-z-]+)\.)?([A-Za-z]+)=(.+)$/.exec(item);
    if (!m) throw new HostileOptionError(`"${item}" is not KEY=VALUE or MODE.KEY=VALUE`);
    const [, modeName, key, value] = m as unknown as [string, string | undefined, string, string];
    if (modeName !== undefined && !modes.includes(modeName as HostileMode)) {
      throw new HostileOptionError(`"${item}" names mode ${modeName}, which is not running`);
    }
    const targets = modeName !== undefined ? [modeName as HostileMode] : modes;
    let applied = 0;
    for (const mode of targets) {
      const spec = modeDefinition(mode).knobs[key];
      if (!spec) continue;
      const parsed = parseKnobText(spec, value);
      if (typeof parsed === 'number' && Number.isNaN(parsed))
        throw new HostileOptionError(
          `${mode}.${key}: "${value}" is not a ${spec.kind === 'ms' ? 'duration' : 'number'}`,
        );
      (out[mode] ??= {})[key] = parsed;
      applied++;
    }
    if (applied === 0) throw new HostileOptionError(`no running hostile mode has the option "${key}"`);
  }
  return out as HostileKnobs;
}

/** Every mode with what it sends, the lead it reproduces and its knobs: `--hostile help`. */
export function hostileHelp(): string {
  return MODES.map((m) => {
    const knobs = Object.entries(m.knobs as Record<string, KnobSpec>).map(
      ([key, spec]) => `    ${key}: ${describeKnob(spec)}: ${spec.doc}`,
    );
    return [`${m.name}: ${m.summary}`, `  reproduces: ${m.lead}`, ...knobs].join('\n');
  }).join('\n\n');
}
