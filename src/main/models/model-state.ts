import type { RuntimeInfo } from '../../shared/api/runtimes';
import { sameModelName } from '../../shared/model-names';
import { isUp } from '../../shared/runtimes';

export interface ServingState {
  /** its runtime is set to it: starting, loading or serving it */
  active: boolean;
  /** its runtime answers and serves it */
  serving: boolean;
}

/**
 * The one rule for "active" and "serving": the API sends both with every model (and a `models.changed`
 * event when a runtime changes state), so no client recomputes them from runtime events. "validated"
 * (files unchanged since verified) is the lifecycle's `validated()`, sent beside them.
 */
export function servingState(model: { name: string }, runtime: Pick<RuntimeInfo, 'state' | 'model'>): ServingState {
  const mine = runtime.model !== null && sameModelName(runtime.model, model.name);
  const up = isUp(runtime.state);
  return { active: mine && (up || runtime.state === 'starting'), serving: mine && up };
}
