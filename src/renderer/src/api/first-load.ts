import type { AppEvent } from '../../../shared/events';
import { subscribeEvents } from './client';
import { runtimesApi } from './endpoints/runtimes';

export type RuntimesAnswer = Awaited<ReturnType<typeof runtimesApi.list>>;

/** What the event stream says about itself, in order. */
export interface StreamStatus {
  connected: boolean;
  /** events may have been missed before this (re)connection: the runtimes should be asked again */
  reload: boolean;
}

/** The first round of requests, started before React and the store exist (main.tsx). */
export interface FirstLoad {
  /** the runtimes: the first screen's data, and the token check (401) */
  runtimes: Promise<RuntimesAnswer>;
  /** hands the stream to the store: what came before, in order, then the rest as it comes */
  attach(onEvent: (event: AppEvent) => void, onStatus: (status: StreamStatus) => void): void;
  close(): void;
}

/**
 * Opens the event stream, then asks for the runtimes, before anything else runs (main.tsx), so both
 * are under way while React is parsed and evaluated. The stream comes first: the server subscribes a
 * stream as it opens it, so an answer that arrives after the open is no older than the stream. An event
 * sent while the stream was down is lost, so every REconnect says `reload`; the first open does too, but
 * only when it came after the answer (events in between may have been missed), not on every start.
 * Events and statuses that arrive before `attach` wait for it.
 */
export function startFirstLoad(): FirstLoad {
  const events: AppEvent[] = [];
  const statuses: StreamStatus[] = [];
  let onEvent: (event: AppEvent) => void = (event) => void events.push(event);
  let onStatus: (status: StreamStatus) => void = (status) => void statuses.push(status);
  let answered = false;
  let opened = false;
  const close = subscribeEvents(
    (event) => onEvent(event),
    (connected) => {
      const reload = connected && (opened || answered);
      if (connected) opened = true;
      onStatus({ connected, reload });
    },
  );
  const runtimes = runtimesApi.list();
  runtimes.then(
    () => (answered = true),
    () => undefined,
  );
  return {
    runtimes,
    close,
    attach(eventSink, statusSink) {
      onEvent = eventSink;
      onStatus = statusSink;
      for (const status of statuses.splice(0)) statusSink(status);
      for (const event of events.splice(0)) eventSink(event);
    },
  };
}
