// A typed event emitter for the simulator core, the same in Node and in the browser (the page's bundle
// needs no `events` shim). It keeps the part of Node's EventEmitter the simulator and its users rely on
// (on/once/off/emit/listenerCount/removeAllListeners; listeners called in order; an emit calls the
// listeners there were when it began, a once listener at most once), so code written against EventEmitter keeps working,
// `events.once(device, "power")` included. There is no special "error" event: no core event is one.

type Listener<A extends unknown[]> = (...args: A) => void;
type Stored = (...args: unknown[]) => void;
type EventMap<E> = { [K in keyof E]: unknown[] };

export class Emitter<E extends EventMap<E>> {
  // Private by # so that subclasses (Device, Simulator…) can use any member name.
  readonly #listeners = new Map<keyof E, Array<{ fn: Stored; once: boolean; fired: boolean }>>();

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    return this.#add(event, listener, false);
  }

  addListener<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    return this.#add(event, listener, false);
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    return this.#add(event, listener, true);
  }

  /** Removes the most recently added registration of `listener` (as Node does). */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners.get(event);
    if (!list) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.fn === (listener as unknown)) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  removeListener<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Calls the listeners in the order they were added; true when there was at least one. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const entry of list.slice()) {
      if (entry.once) {
        if (entry.fired) continue; // already called by an emit nested in an earlier listener
        entry.fired = true;
        const at = list.indexOf(entry);
        if (at >= 0) list.splice(at, 1);
        if (list.length === 0) this.#listeners.delete(event);
      }
      entry.fn(...args);
    }
    return true;
  }

  #add<K extends keyof E>(event: K, listener: Listener<E[K]>, once: boolean): this {
    if (typeof listener !== "function") throw new TypeError(`listener for "${String(event)}" must be a function`);
    let list = this.#listeners.get(event);
    if (!list) this.#listeners.set(event, (list = []));
    list.push({ fn: listener as unknown as Stored, once, fired: false });
    return this;
  }
}
