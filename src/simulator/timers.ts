/**
 * Every timer the simulator starts goes through one TimerSet, so close() can clear them all and
 * the process can exit. Groups let a session drop its own timers when it ends.
 */
export type TimerGroup = Set<NodeJS.Timeout>;

export class TimerSet {
  private readonly handles = new Map<NodeJS.Timeout, TimerGroup | undefined>();

  set(fn: () => void, ms: number, group?: TimerGroup): NodeJS.Timeout {
    const handle = setTimeout(() => {
      this.forget(handle);
      fn();
    }, Math.max(0, ms));
    // Unref: a forgotten simulator must never be what keeps a process alive (the server is).
    handle.unref();
    this.handles.set(handle, group);
    group?.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.forget(handle);
  }

  /**
   * Restarts a pending timer with its original duration, in place: no new timer, no new
   * closure (the idle release restarts on every poll). False when it is no longer pending.
   */
  refresh(handle: NodeJS.Timeout | undefined): boolean {
    if (handle === undefined || !this.handles.has(handle)) return false;
    handle.refresh();
    return true;
  }

  clearGroup(group: TimerGroup): void {
    for (const handle of [...group]) this.clear(handle);
  }

  clearAll(): void {
    for (const handle of this.handles.keys()) clearTimeout(handle);
    for (const group of this.handles.values()) group?.clear();
    this.handles.clear();
  }

  get size(): number {
    return this.handles.size;
  }

  private forget(handle: NodeJS.Timeout): void {
    this.handles.get(handle)?.delete(handle);
    this.handles.delete(handle);
  }
}
