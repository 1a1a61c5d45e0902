import type { AppEvent, AppEventType } from '../shared/events';

type Listener = (event: AppEvent) => void;

/** In-process event bus feeding SSE clients, the tray and notifications. Listener errors are contained. */
export class EventBus {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  emit(event: AppEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  /** Subscribe to every event, or to the given types only. Returns the unsubscribe function. */
  on(listener: Listener, types?: readonly AppEventType[]): () => void {
    const wrapped: Listener = types ? (e) => types.includes(e.type) && listener(e) : listener;
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
