/**
 * A live, offline statechart: the machine's own state tree (`machine.root`) drawn as nested
 * boxes, the active state nodes highlighted from the snapshot, and the transitions that can
 * fire from where the session is now. No network, no hosted inspector.
 */
import { useMemo } from 'react';
import type { AnyStateMachine, AnyStateNode, StateValue } from 'xstate';

/** Dotted paths ("connected.chatting.outbox.idle") of every active state node. */
export function activePaths(value: StateValue, prefix: readonly string[] = [], out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    out.add([...prefix, value].join('.'));
    return out;
  }
  for (const [key, child] of Object.entries(value)) {
    out.add([...prefix, key].join('.'));
    if (child !== undefined) activePaths(child, [...prefix, key], out);
  }
  return out;
}

/** `xstate.done.actor.connect` → `done: connect`, `xstate.after.typingThrottle.…` → `after typingThrottle`. */
export function eventLabel(type: string): string {
  if (type.startsWith('xstate.done.actor.')) return `done: ${type.slice('xstate.done.actor.'.length)}`;
  if (type.startsWith('xstate.error.actor.')) return `error: ${type.slice('xstate.error.actor.'.length)}`;
  if (type.startsWith('xstate.after.')) return `after ${type.split('.')[2] ?? ''}`;
  return type;
}

function pathOf(node: AnyStateNode): string {
  return node.path.join('.');
}

function guardName(guard: unknown): string | null {
  if (typeof guard === 'string') return guard;
  if (guard && typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') return guard.type;
  return guard ? 'guard' : null;
}

interface TransitionRow {
  event: string;
  guard: string | null;
  target: string;
  /** Changes the state, or is something the UI sends (not just an actor updating context). */
  notable: boolean;
}

/** The events a host sends (ChatUserEvent); everything else comes from the machine's actors. */
const USER_EVENTS = new Set([
  'message.send',
  'message.retry',
  'file.send',
  'file.download',
  'input.change',
  'agent.request',
  'messages.markRead',
  'chat.end',
  'survey.submit',
  'survey.skip',
  'leaveMessage.submit',
  'leaveMessage.skip',
  'request.retry',
  'session.resumed',
]);

function transitionsOf(node: AnyStateNode): TransitionRow[] {
  const rows: TransitionRow[] = [];
  const add = (event: string, t: { guard?: unknown; target?: readonly AnyStateNode[] | undefined }) => {
    const moves = (t.target?.length ?? 0) > 0;
    rows.push({
      event,
      guard: guardName(t.guard),
      target: moves ? (t.target ?? []).map(pathOf).join(', ') : '(stays)',
      notable: moves || USER_EVENTS.has(event),
    });
  };
  for (const [type, list] of node.transitions) for (const t of list) add(eventLabel(type), t);
  for (const t of node.always ?? []) add('always', t);
  return rows;
}

function isInitialChild(node: AnyStateNode): boolean {
  const parent = node.parent;
  return parent !== undefined && parent.type === 'compound' && (parent.initial?.target ?? []).includes(node);
}

function NodeBox({ node, active }: { node: AnyStateNode; active: ReadonlySet<string> }) {
  const id = pathOf(node);
  const isActive = active.has(id);
  const children = Object.values(node.states) as AnyStateNode[];
  const isLeaf = children.length === 0;
  const title = transitionsOf(node)
    .map((r) => `${r.event}${r.guard ? ` [${r.guard}]` : ''} → ${r.target}`)
    .join('\n');
  return (
    <div
      className={`sc-node sc-${node.type}${isActive ? ' is-active' : ''}${isActive && isLeaf ? ' is-current' : ''}${isLeaf ? ' sc-leaf' : ''}`}
      data-state={id}
      data-active={isActive ? 'true' : 'false'}
      title={title || undefined}
    >
      <div className="sc-label">
        {isInitialChild(node) && <span className="sc-initial" aria-label="initial state">●</span>}
        {node.key}
        {node.type === 'parallel' && <span className="sc-kind"> ∥</span>}
      </div>
      {!isLeaf && (
        <div className={`sc-children sc-children-${node.type}`}>
          {children.map((child) => (
            <NodeBox key={child.id} node={child} active={active} />
          ))}
        </div>
      )}
    </div>
  );
}

export function StatechartView({ machine, value }: { machine: AnyStateMachine; value: StateValue }) {
  const active = useMemo(() => activePaths(value), [value]);
  const nodes = Object.values(machine.root.states) as AnyStateNode[];
  // Transitions out of every active node, deepest first: what can happen next.
  const next = useMemo(() => {
    const out: { node: string; rows: TransitionRow[] }[] = [];
    const visit = (node: AnyStateNode) => {
      for (const child of Object.values(node.states) as AnyStateNode[]) if (active.has(pathOf(child))) visit(child);
      if (node.path.length === 0) return;
      const rows = transitionsOf(node);
      if (rows.length > 0) out.push({ node: pathOf(node), rows });
    };
    visit(machine.root);
    return out;
  }, [machine, active]);

  return (
    <section className="statechart" aria-label="Statechart">
      <div className="sc-root" data-state="" data-active="true">
        <div className="sc-label">{machine.id}</div>
        <div className="sc-children sc-children-compound">
          {nodes.map((node) => (
            <NodeBox key={node.id} node={node} active={active} />
          ))}
        </div>
        <p className="sc-legend muted">
          <span className="sc-swatch is-current" /> current <span className="sc-swatch is-active" /> active parent ● initial · dashed: parallel
          regions · hover a state for its transitions
        </p>
      </div>
      <div className="sc-next">
        <h3>Can happen next</h3>
        {next.length === 0 && <p className="muted">Nothing: the session is over.</p>}
        {next.map(({ node, rows }) => {
          const shown = rows.filter((r) => r.notable);
          const internal = rows.length - shown.length;
          return (
            <div key={node} className="sc-next-node">
              <code className="sc-next-from">{node}</code>
              <ul>
                {shown.map((r, i) => (
                  <li key={i}>
                    <code className={USER_EVENTS.has(r.event) ? 'sc-user-event' : undefined}>{r.event}</code>
                    {r.guard && <span className="sc-guard"> [{r.guard}]</span>} → <span className="sc-target">{r.target}</span>
                  </li>
                ))}
                {internal > 0 && (
                  <li className="muted">
                    + {internal} actor event{internal === 1 ? '' : 's'} that only update context
                  </li>
                )}
              </ul>
            </div>
          );
        })}
      </div>
    </section>
  );
}
