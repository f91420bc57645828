/**
 * docs/protocol.md is the protocol reference the code cites. This keeps it that way: nothing in
 * the repository (src/, machines/, docs/, test/, examples/, bench/, scripts/) points at a file outside it, and every
 * `docs/protocol.md#anchor` (or `protocol.md#anchor` link in docs/) names a heading that exists.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED = ['src', 'machines', 'docs', 'test', 'examples', 'bench', 'scripts'];
/** This file names the outside references it looks for. */
const SELF = fileURLToPath(import.meta.url);
/** Files outside the repository that the project once cited. */
const OUTSIDE_REFERENCES = ['aicc-api.md', 'shared/design.md', 'shared/peers.md', 'shared/xstate-notes.md', '/work/shared'];
const TEXT_FILE = /\.(?:ts|tsx|js|mjs|json|md|mmd|vue|svelte)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : filesUnder(path);
    return TEXT_FILE.test(entry.name) ? [path] : [];
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
export function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function anchorsOf(markdown: string): string[] {
  const anchors: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) anchors.push(slugOf(heading[1]!));
  }
  return anchors;
}

interface Citation {
  file: string;
  line: number;
  anchor: string;
}

function citationsIn(file: string, pattern: RegExp): Citation[] {
  const found: Citation[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      for (const match of text.matchAll(pattern)) found.push({ file: relative(root, file), line: i + 1, anchor: match[1]! });
    });
  return found;
}

const files = SCANNED.flatMap((dir) => filesUnder(join(root, dir)));
const protocol = readFileSync(join(root, 'docs/protocol.md'), 'utf8');
const anchors = new Set(anchorsOf(protocol));

describe('docs/protocol.md', () => {
  it('slugs headings the way GitHub does', () => {
    expect(slugOf('4.3 send')).toBe('43-send');
    expect(slugOf('6.12 feedbacksatisfaction `from`')).toBe('612-feedbacksatisfaction-from');
    expect(slugOf('6. Inferences and configurable points')).toBe('6-inferences-and-configurable-points');
  });

  it('has one section per API, each with a unique anchor', () => {
    const all = anchorsOf(protocol);
    expect(new Set(all).size).toBe(all.length);
    for (const api of [
      '41-applytoken', '42-queryhistorychatmessage', '43-send', '44-sendasync', '45-doleavemessage', '46-poll',
      '47-downloadfilestream', '48-queryqueueinfo', '49-uploadfilestream', '410-queryphrasebykeyword',
      '411-getsatisfactionsurveymode', '412-savesatisfaction', '413-feedbacksatisfaction', '3-tokenbyaksk',
    ]) {
      expect(anchors, api).toContain(api);
    }
  });

  it('nothing in the repository cites a file outside it', () => {
    const offenders = files.filter((file) => file !== SELF).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return OUTSIDE_REFERENCES.filter((ref) => text.includes(ref)).map((ref) => `${relative(root, file)}: ${ref}`);
    });
    expect(offenders).toEqual([]);
  });

  it('every docs/protocol.md#anchor cited from the code and the tests exists', () => {
    const code = files.filter((file) => file !== SELF && !relative(root, file).startsWith('docs'));
    const citations = code.flatMap((file) => citationsIn(file, /docs\/protocol\.md#([\p{L}\p{N}_-]+)/gu));
    // The code cites the reference throughout; an empty list would mean the pattern broke.
    expect(citations.length).toBeGreaterThan(20);
    expect(citations.filter((c) => !anchors.has(c.anchor))).toEqual([]);
  });

  it('every protocol.md#anchor linked from docs/ (and its own #links) exists', () => {
    const docs = files.filter((file) => file.endsWith('.md') && relative(root, file).startsWith('docs'));
    const links = docs.flatMap((file) => citationsIn(file, /protocol\.md#([\p{L}\p{N}_-]+)/gu));
    const own = citationsIn(join(root, 'docs/protocol.md'), /\]\(#([\p{L}\p{N}_-]+)\)/gu);
    expect(links.length).toBeGreaterThan(5);
    expect(own.length).toBeGreaterThan(20);
    expect([...links, ...own].filter((c) => !anchors.has(c.anchor))).toEqual([]);
  });
});
