/**
 * docs/api is generated from the sources' doc comments by `npm run docs:api` (typedoc); this
 * fails when the committed reference no longer matches the code. One typedoc conversion serves
 * both checks (it is the costly part: ~12 s).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application, Logger, LogLevel, type ProjectReflection } from 'typedoc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEAVY_TEST_TIMEOUT_MS } from '../support/timeBudget.js';

const out = mkdtempSync(join(tmpdir(), 'aicc-api-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Warnings typedoc logged while converting and validating (errors too); rendering's are not asked about. */
const warnings: string[] = [];
let collecting = false;
let app: Application;
let project: ProjectReflection | undefined;

beforeAll(async () => {
  app = await Application.bootstrapWithPlugins({ options: 'typedoc.json', out, logLevel: 'Warn' });
  app.logger = new (class extends Logger {
    override log(message: string, level: LogLevel): void {
      super.log(message, level);
      if (collecting && level >= LogLevel.Warn) warnings.push(message);
    }
  })();
  collecting = true;
  project = await app.convert();
  collecting = false;
}, HEAVY_TEST_TIMEOUT_MS);

describe('API reference (docs/api)', () => {
  it('is up to date with the sources (run `npm run docs:api` if not)', async () => {
    expect(project).toBeDefined();
    await app.generateOutputs(project!);
    const generated = readdirSync(out).sort();
    expect(generated).toEqual(readdirSync('docs/api').sort());
    for (const file of generated) {
      expect(readFileSync(join(out, file), 'utf8'), file).toBe(readFileSync(join('docs/api', file), 'utf8'));
    }
  }, HEAVY_TEST_TIMEOUT_MS);

  it('documents every type the public API names (no bare, unlinked names such as a non-exported options interface)', () => {
    expect(project).toBeDefined();
    collecting = true;
    app.validate(project!); // typedoc.json: validation.notExported names each unlisted type
    collecting = false;
    expect(warnings).toEqual([]);
  });
});
