/**
 * Every mutant of a mutation run, by stable id: the statechart mutants generated from the config
 * (configMutants.ts) and the source mutants of the actors and implementations (sourceMutants.ts).
 * A mutant becomes a Fault (test/model/types.ts) the runner runs the real session with.
 */
import { fnv1a32 } from '../../src/client/hash.js';
import type { Fault } from '../model/types.js';
import { CONFIG_RULES, IDENTITY, configMutants, type ConfigMutant } from './configMutants.js';
import { SOURCE_MUTANTS, loadSourceMutant, mutatedSource, type SourceMutant } from './sourceMutants.js';

export const RULES = [...CONFIG_RULES, 'actor', 'implementation'] as const;
export type Rule = (typeof RULES)[number];

export interface Mutant {
  id: string;
  rule: Rule;
  description: string;
  /** Which paths run first: those taking one of these transitions, or with a variant matching. */
  focus: { transitions: readonly string[]; variants: RegExp | null };
  /** The faulty system; `dispose` removes what building it left behind. */
  build(): Promise<{ fault: Fault; dispose(): void }>;
}

function fromConfig(c: ConfigMutant): Mutant {
  return {
    id: c.id,
    rule: c.rule,
    description: c.description,
    focus: { transitions: c.focus, variants: null },
    build: async () => {
      const machine = c.machine();
      return { fault: { name: c.id, machine: () => machine as never }, dispose: () => {} };
    },
  };
}

function fromSource(s: SourceMutant): Mutant {
  return {
    id: s.id,
    rule: s.rule,
    description: s.description,
    focus: { transitions: [], variants: s.focus },
    build: async () => {
      const modules = await loadSourceMutant(s);
      const { machine, createChatActors } = modules;
      const fault: Fault = {
        name: s.id,
        ...(machine ? { machine: () => machine as never } : {}),
        ...(createChatActors ? { actors: (client, options) => createChatActors(client, options) } : {}),
      };
      if (!machine && !createChatActors) throw new Error(`${s.id}: ${s.file} is used by neither the machine nor the actors`);
      return { fault, dispose: modules.dispose };
    },
  };
}

/** The shipped system through the mutants' own path (createMachine of a copied config, no change). */
export const BASELINE: Mutant = { ...fromConfig(IDENTITY), id: 'baseline', description: 'no change: the shipped config, copied, through the same harness' };

/**
 * A full run takes at most this many mutants of each statechart rule (drawn by PICK_SEED from
 * all it generates; `npm run test:mutation -- --all` runs every one). The source mutants all run.
 */
export const PER_RULE = 20;
export const PICK_SEED = 14;

/** The mutants of a full run: PER_RULE of each config rule (seeded, in generation order), every source mutant. */
export function pickedMutants(perRule: number = PER_RULE, seed: number = PICK_SEED): Mutant[] {
  // By a hash of the id: a mutant added or removed elsewhere does not change who else is picked.
  const rank = new Map(allMutants().map((m) => [m.id, fnv1a32(`${seed}:${m.id}`)]));
  const keep = new Set<string>();
  for (const rule of RULES) {
    const of = allMutants().filter((m) => m.rule === rule);
    const limit = rule === 'actor' || rule === 'implementation' ? of.length : perRule;
    for (const m of [...of].sort((a, b) => rank.get(a.id)! - rank.get(b.id)!).slice(0, limit)) keep.add(m.id);
  }
  return allMutants().filter((m) => keep.has(m.id));
}

let cache: Mutant[] | undefined;

/** All mutants, in a stable order. Throws if a source mutant no longer applies. */
export function allMutants(): Mutant[] {
  if (!cache) {
    for (const s of SOURCE_MUTANTS) mutatedSource(s);
    cache = [...configMutants().map(fromConfig), ...SOURCE_MUTANTS.map(fromSource)];
    const ids = new Set(cache.map((m) => m.id));
    if (ids.size !== cache.length) throw new Error('mutants: two mutants share an id');
  }
  return cache;
}

export function mutantById(id: string): Mutant {
  if (id === BASELINE.id) return BASELINE;
  const found = allMutants().find((m) => m.id === id);
  if (!found) throw new Error(`no mutant ${id}`);
  return found;
}
