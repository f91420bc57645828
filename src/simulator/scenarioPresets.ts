/**
 * The simulator's named scenarios, one row each: what the scenario changes on the defaults of
 * scenarios.ts (`base`). Adding a scenario is one row here: its name, the CLIs' and the demo
 * page's lists follow from this table. No imports, so a browser page can read it too.
 */
export const SCENARIO_PRESETS = {
  // A robot channel without any agent channel config behind it.
  'robot-only': { agentsAvailable: false },
  'agent-direct': { connectTo: 'agent', initialQueuePosition: 2 },
  'robot-then-agent': {},
  'after-hours': { connectTo: 'agent', workingHours: false },
  'no-survey': { connectTo: 'agent', initialQueuePosition: 0, survey: 'NO' },
} as const;

export type ScenarioName = keyof typeof SCENARIO_PRESETS;

/** The scenario names, in the table's order. */
export const SCENARIO_NAMES = Object.keys(SCENARIO_PRESETS) as readonly ScenarioName[];
