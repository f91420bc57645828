/**
 * Surviving mutants that are equivalent to the shipped system, each with the reason no test can
 * tell them apart. A survivor not listed here is a missing oracle or test: add it (docs/testing.md,
 * "Mutation testing"). An entry for a mutant that is killed fails the run (stale).
 */
export const EQUIVALENT: Readonly<Record<string, string>> = {};
