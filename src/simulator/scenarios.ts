/**
 * Named channel configurations. Texts are English-tenant samples, not API constants
 * (docs/protocol.md#52-lifecycle-events-and-texts): clients must not match on them.
 */
import { SCENARIO_NAMES, SCENARIO_PRESETS, type ScenarioName } from './scenarioPresets.js';
import type { AgentScript, RobotScript, Scenario, ScenarioOverrides, SurveyLevel } from './types.js';

/** Defaults of getSatisfactionSurveyMode (docs/protocol.md#411-getsatisfactionsurveymode), in English. */
export const DEFAULT_SURVEY_LEVELS: readonly SurveyLevel[] = [
  { key: '1', label: 'Very dissatisfied' },
  { key: '2', label: 'Dissatisfied' },
  { key: '3', label: 'Neutral' },
  { key: '4', label: 'Satisfied' },
  { key: '5', label: 'Very satisfied' },
];

export const DEFAULT_SURVEY_QUESTIONS: readonly string[] = ['CSAT', 'NPS', 'FCR'];

const DEFAULT_FAQ: readonly string[] = [
  'How do I reset my password?',
  'How do I change my password?',
  'What are your opening hours?',
  'How can I track my order?',
  'How do I cancel my order?',
  'How do I return an item?',
  'Where can I download my invoice?',
  'How do I update my delivery address?',
];

function defaultRobot(): RobotScript {
  const faq = [...DEFAULT_FAQ];
  return {
    nickname: 'AICC Robot',
    greeting: 'Hello, I am the AICC virtual assistant. How can I help you?',
    reply: (text) => {
      const hit = faq.find((q) => text.trim() !== '' && q.toLowerCase().includes(text.trim().toLowerCase()));
      return hit
        ? `Here is an answer to "${hit}": please see our help centre.`
        : `You said: "${text}". Ask me a question, or type "agent" to talk to a person.`;
    },
    transferKeywords: ['agent', 'human', '转人工'],
    faq,
  };
}

function defaultAgent(): AgentScript {
  return {
    nickname: 'Alice',
    greeting: 'Hello, this is Alice. How can I help you today?',
    reply: (text) => `Thanks, I have received your message: "${text}".`,
  };
}

function base(name: ScenarioName): Scenario {
  return {
    name,
    connectTo: 'robot',
    workingHours: true,
    connectFailure: null,
    agentsAvailable: true,
    initialQueuePosition: 1,
    survey: 'WEB',
    surveyLevels: DEFAULT_SURVEY_LEVELS.map((l) => ({ ...l })),
    surveyQuestions: [...DEFAULT_SURVEY_QUESTIONS],
    robot: defaultRobot(),
    agent: defaultAgent(),
  };
}

/** Each row must be a valid change of a Scenario (checked here, where Scenario is known). */
const presetChanges: Readonly<Record<ScenarioName, Partial<Omit<Scenario, 'name'>>>> = SCENARIO_PRESETS;

function makePreset(name: ScenarioName): Scenario {
  return { ...base(name), ...presetChanges[name] };
}

export { SCENARIO_NAMES };

/** The named presets, for reading; startSimulator always works on its own copy. */
export const scenarios: Readonly<Record<ScenarioName, Scenario>> = Object.freeze(
  Object.fromEntries(SCENARIO_NAMES.map((name) => [name, makePreset(name)])) as Record<ScenarioName, Scenario>,
);

export function isScenarioName(value: unknown): value is ScenarioName {
  return typeof value === 'string' && (SCENARIO_NAMES as readonly string[]).includes(value);
}

/** A preset name, or overrides on top of a preset (chosen by `name`, default robot-then-agent). */
export function resolveScenario(input: ScenarioName | ScenarioOverrides | undefined): Scenario {
  if (input === undefined) return makePreset('robot-then-agent');
  if (typeof input === 'string') {
    if (!isScenarioName(input)) throw new Error(`unknown scenario "${input}" (one of ${SCENARIO_NAMES.join(', ')})`);
    return makePreset(input);
  }
  const preset = makePreset(isScenarioName(input.name) ? input.name : 'robot-then-agent');
  const { robot, agent, ...rest } = input;
  const merged: Scenario = {
    ...preset,
    ...definedOnly(rest),
    robot: { ...preset.robot, ...definedOnly(robot ?? {}) },
    agent: { ...preset.agent, ...definedOnly(agent ?? {}) },
  };
  if (!Number.isInteger(merged.initialQueuePosition) || merged.initialQueuePosition < 0) {
    throw new Error('scenario.initialQueuePosition must be a non-negative integer');
  }
  if (merged.surveyLevels.length === 0 && merged.survey === 'WEB') {
    throw new Error('scenario.surveyLevels must not be empty when survey is WEB');
  }
  return merged;
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(obj) as (keyof T)[]) {
    if (obj[key] !== undefined) out[key] = obj[key];
  }
  return out;
}
