/**
 * A client is an object with fast properties, the same hidden class for every client: V8 makes
 * an object literal that holds an accessor (`get http()`) a dictionary, ~0.8 KB more heap per
 * client (docs/performance.md). Asked of V8 itself, in a child process with natives syntax.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('client shape', () => {
  it('has fast properties, one hidden class for all clients, and still reads client.http through its getter', () => {
    const entry = fileURLToPath(new URL('../../src/client/index.ts', import.meta.url));
    const script = `
      const { createAiccClient } = await import(${JSON.stringify(entry)});
      const make = () => createAiccClient({ baseUrl: 'http://127.0.0.1:1', token: () => 't' });
      const [a, b] = [make(), make()];
      let http;
      try { a.http; } catch (error) { http = error.kind + ':' + error.field; }
      console.log(JSON.stringify({ fast: %HasFastProperties(a), sameMap: %HaveSameMap(a, b), http, send: typeof a.send }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')).toEqual({ fast: true, sameMap: true, http: 'validation:http', send: 'function' });
  });

  it("each client's transport (the request path it holds for its life) has fast properties too", () => {
    const entry = fileURLToPath(new URL('../../src/client/transport.ts', import.meta.url));
    const script = `
      const { createTransport } = await import(${JSON.stringify(entry)});
      const t = createTransport({ baseUrl: 'http://127.0.0.1:1', token: () => 't' });
      console.log(JSON.stringify({ fast: %HasFastProperties(t), request: typeof t.request }));`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')).toEqual({ fast: true, request: 'function' });
  });
});
