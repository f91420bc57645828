/**
 * The client's modules are tree-shakeable: an app that imports one helper gets that helper, not
 * the protocol tables, axios or the client. Also: the machine's copies of documented limits
 * (literals, so they shake too) agree with LIMITS.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { measureBundle } from '../../bench/lib/bundle.js';
import { AGENT_COMMENT_MAX_CHARS, ROBOT_COMMENT_MAX_CHARS, TEXT_MAX_BYTES } from '../../machines/chatSession.validation.js';
import { LIMITS } from '../../src/client/index.js';

async function bundleText(contents: string): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    minify: true,
    external: ['axios', 'xstate'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

async function inputsOf(contents: string): Promise<string[]> {
  const bundle = await measureBundle({ contents, name: contents }, false);
  return bundle.inputs.map((i) => i.path);
}

describe('client tree-shaking', () => {
  it('isAiccError alone brings errors.ts only', async () => {
    expect(await inputsOf("export { isAiccError } from './src/client/index.js';")).toEqual(['src/client/errors.ts']);
  });

  it('parseDownlink alone brings no client, transport or unused protocol tables', async () => {
    const paths = await inputsOf("export { parseDownlink } from './src/client/index.js';");
    expect(paths).toContain('src/client/parse.ts');
    expect(paths).not.toContain('src/client/client.ts');
    expect(paths).not.toContain('src/client/transport.ts');
    const text = await bundleText("export { parseDownlink } from './src/client/index.js';");
    expect(text).toContain('SYSTEM'); // SOURCE_TYPES, which it uses
    expect(text).not.toContain('userIdMaxLength'); // LIMITS
    expect(text).not.toContain('sendUserMessage'); // ResultDesc
  });

  it('the machine’s limit constants equal the protocol’s', () => {
    expect(TEXT_MAX_BYTES).toBe(LIMITS.textMaxBytes);
    expect(AGENT_COMMENT_MAX_CHARS).toBe(LIMITS.commentMaxChars);
    expect(ROBOT_COMMENT_MAX_CHARS).toBe(LIMITS.feedbackContentMaxChars);
  });
});
