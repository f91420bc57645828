/**
 * aicc-chat-machine/vue over real HTTP against the simulator, in Node: `useChatSession` in an
 * effect scope and in a component (a real Vue renderer over an in-memory tree), on the server
 * (renderToString: never starts), and the errors of a start that cannot happen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRenderer, createSSRApp, defineComponent, effectScope, h, type App } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { ChatSessionConflictError, type ChatSessionActor } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { ChatSessionStartError, useChatSession, type UseChatSessionResult } from '../../src/vue/index.js';
import { fastSimulator } from '../client/helpers.js';
import { afterMicrotasks, connectsOf, countedFactory, customerOf, expectStoppedCleanly, robotSaid } from './helpers.js';

let sim: Simulator;
beforeAll(async () => (sim = await fastSimulator({ scenario: 'robot-only' })));
afterAll(() => sim.close());

/** Runs the composable in a scope of its own; `stop()` disposes the scope. */
function inScope<T>(use: () => T): { result: T; stop: () => void } {
  const scope = effectScope();
  const result = scope.run(use) as T;
  return { result, stop: () => scope.stop() };
}

describe('aicc-chat-machine/vue: useChatSession in an effect scope', () => {
  it('starts a microtask later, chats, and stops (aborting its poll) when the scope is disposed', async () => {
    const customer = customerOf(sim);
    const { result, stop } = inScope(() => useChatSession(customer.options));
    expect(result.session.value).toBeUndefined();
    expect(result.chat.value).toBeUndefined();

    await expect.poll(() => result.chat.value?.phase).toBe('chatting-robot');
    const session = result.session.value!;
    expect(result.snapshot.value).toBe(session.getSnapshot());
    result.chat.value!.sendMessage('hello from vue');
    await expect.poll(() => robotSaid(result.chat.value, 'You said: "hello from vue"')).toBe(true);
    expect(result.error.value).toBeNull();

    stop();
    expect(result.session.value).toBeUndefined();
    expect(session.getSnapshot().status).toBe('stopped');
    await expectStoppedCleanly(sim, customer.userId);
    expect(connectsOf(sim, customer.userId)).toBe(1);
  });

  it('a scope disposed before the microtask never creates a session', async () => {
    const customer = customerOf(sim);
    const factory = countedFactory(customer);
    const { result, stop } = inScope(() => useChatSession({ createSession: factory.createSession }));
    stop();
    await afterMicrotasks();
    expect(factory.created()).toBe(0);
    expect(result.session.value).toBeUndefined();
    expect(customer.tokenRequests).toEqual([]);
  });

  it('a second live session of the customer through the same client: its error is ChatSessionConflictError, nothing thrown, one CONNECT', async () => {
    const customer = customerOf(sim);
    const first = inScope(() => useChatSession(customer.options));
    const second = inScope(() => useChatSession(customer.options));
    await expect.poll(() => robotSaid(first.result.chat.value)).toBe(true);
    await expect.poll(() => second.result.error.value).not.toBeNull();
    const error = second.result.error.value;
    expect(error).toBeInstanceOf(ChatSessionConflictError);
    expect(error).toMatchObject({ code: 'session-already-live', userId: customer.userId });
    expect(second.result.session.value).toBeUndefined();
    expect(second.result.chat.value).toBeUndefined();
    expect(first.result.error.value).toBeNull();
    expect(connectsOf(sim, customer.userId)).toBe(1);
    first.stop();
    second.stop();
    await expectStoppedCleanly(sim, customer.userId);
  });

  it('a factory that throws: its error is ChatSessionStartError with the thrown value as cause', async () => {
    const boom = new TypeError('no identity yet');
    const { result, stop } = inScope(() =>
      useChatSession({
        createSession: (): ChatSessionActor => {
          throw boom;
        },
      }),
    );
    await afterMicrotasks();
    expect(result.error.value).toBeInstanceOf(ChatSessionStartError);
    expect(result.error.value).toMatchObject({ code: 'start-failed', cause: boom, message: 'The chat session could not be started: no identity yet' });
    expect(result.session.value).toBeUndefined();
    stop();
  });
});

/** A Vue renderer over a tree of plain objects: components mount, update and unmount as in a page. */
interface TreeNode {
  type: string;
  text: string;
  parent: TreeNode | null;
  children: TreeNode[];
}
const treeNode = (type: string, text = ''): TreeNode => ({ type, text, parent: null, children: [] });
const textOf = (node: TreeNode): string => node.text + node.children.map(textOf).join('');
const { createApp: createTreeApp } = createRenderer<TreeNode, TreeNode>({
  createElement: (type) => treeNode(type),
  createText: (text) => treeNode('#text', text),
  createComment: (text) => treeNode('#comment', text),
  setText: (node, text) => void (node.text = text),
  setElementText: (node, text) => {
    node.children = [];
    node.text = text;
  },
  insert: (child, parent, anchor) => {
    child.parent?.children.splice(child.parent.children.indexOf(child), 1);
    const at = anchor ? parent.children.indexOf(anchor) : -1;
    parent.children.splice(at === -1 ? parent.children.length : at, 0, child);
    child.parent = parent;
  },
  remove: (child) => {
    child.parent?.children.splice(child.parent.children.indexOf(child), 1);
    child.parent = null;
  },
  parentNode: (node) => node.parent,
  nextSibling: (node) => node.parent?.children[node.parent.children.indexOf(node) + 1] ?? null,
  patchProp: () => undefined,
});

describe('aicc-chat-machine/vue: useChatSession in a component', () => {
  it('starts after mount, renders the phase, and stops on unmount', async () => {
    const customer = customerOf(sim);
    let result: UseChatSessionResult<ChatSessionActor> | undefined;
    const Chat = defineComponent({
      setup() {
        const used = useChatSession(customer.options);
        result = used;
        return () => h('p', used.error.value ? `error ${used.error.value.code}` : (used.chat.value?.phase ?? 'starting'));
      },
    });
    const root = treeNode('root');
    const app: App = createTreeApp(Chat);
    app.mount(root);
    expect(textOf(root)).toBe('starting');
    await expect.poll(() => textOf(root)).toBe('chatting-robot');
    await expect.poll(() => robotSaid(result!.chat.value)).toBe(true);
    const session = result!.session.value!;

    app.unmount();
    expect(session.getSnapshot().status).toBe('stopped');
    await expectStoppedCleanly(sim, customer.userId);
    expect(connectsOf(sim, customer.userId)).toBe(1);
  });

  it('server-side rendering (renderToString) never creates a session', async () => {
    const customer = customerOf(sim);
    const factory = countedFactory(customer);
    const Chat = defineComponent({
      setup() {
        const { chat } = useChatSession({ createSession: factory.createSession });
        return () => h('p', chat.value?.phase ?? 'starting');
      },
    });
    expect(await renderToString(createSSRApp(Chat))).toBe('<p>starting</p>');
    await afterMicrotasks();
    expect(factory.created()).toBe(0);
    expect(customer.tokenRequests).toEqual([]);
  });
});
