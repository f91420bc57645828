/**
 * axe-core in a page: its violations of WCAG 2.1 A/AA and of its best practices inside one
 * element (test/e2e/a11y.test.ts, test/examples/helpers.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * axe's own bundle; resolving it fails this file with the reason when axe-core is not installed.
 * Evaluated in the page rather than added as a script tag: the demo's CSP (script-src 'self')
 * rightly blocks inline scripts.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

export interface AxeViolation {
  id: string;
  help: string;
  nodes: string[];
}

/** axe's violations inside `selector` (the widget; the React example's inspector beside it is a developer's tool, not the product). */
export async function axeViolations(page: Page, selector: string): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(
    async ({ selector, tags }) => {
      const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
      const { violations } = await axe.run({ include: [selector] }, { runOnly: { type: 'tag', values: tags } });
      return violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
    },
    { selector, tags: AXE_TAGS },
  );
}

