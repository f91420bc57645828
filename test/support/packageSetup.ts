/**
 * vitest's globalSetup: one temp directory per test run where packedPackage.ts builds and packs
 * the package once for every test file that needs it (test/package, test/e2e/react-starter).
 * Creating it costs nothing; the build happens only if a test asks. Removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** The key under which the run's directory is provided to the tests (`inject(PACK_RUN_DIR)`). */
export const PACK_RUN_DIR = 'aiccPackRunDir';
declare module 'vitest' {
  export interface ProvidedContext {
    [PACK_RUN_DIR]: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'aicc-pack-run-'));
  project.provide(PACK_RUN_DIR, dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
