/** A tiny external store around the reducer, so socket callbacks can read the state they just changed. */
import { initialState, reducer, type Action, type MessengerState } from "./messenger-state";

export class MessengerStore {
  private state: MessengerState = initialState;
  private readonly listeners = new Set<() => void>();

  getState = (): MessengerState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  dispatch = (action: Action): void => {
    const next = reducer(this.state, action);
    if (next === this.state) return;
    this.state = next;
    for (const l of this.listeners) l();
  };
}
