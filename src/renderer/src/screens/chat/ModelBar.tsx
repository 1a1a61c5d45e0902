import { useStore } from '../../store';
import { Linkified } from '../../components/Linkified';
import type { RemoteProvider } from '../../../../shared/api/remote';
import type { Route } from '../../../../shared/api/router';

const CLOUD_KINDS = new Set(['openai', 'gemini', 'anthropic']);

/**
 * This conversation's model: chosen from what Switchyard's OpenAI-compatible endpoint answers for by
 * name (`GET /v1/models`), grouped as the router's routes are — local, cluster, cloud, with their state
 * — stored with the conversation and sent as each request's `model`. Choosing one changes nothing for
 * other clients; only the explicit Activate button (an installed model not loaded) changes a slot.
 */
export function ModelBar() {
  const models = useStore((s) => s.chatModels);
  const routes = useStore((s) => s.routes);
  const providers = useStore((s) => s.providers);
  const current = useStore((s) => s.chatCurrent);
  const update = useStore((s) => s.updateConversation);
  const create = useStore((s) => s.newConversation);
  const installed = useStore((s) => s.installed);
  const busy = useStore((s) => s.modelBusy);
  const errors = useStore((s) => s.modelErrors);
  const activate = useStore((s) => s.activateModel);
  const chosen = current?.model ?? models.ids[0] ?? '';
  const served = models.ids.includes(chosen);
  // installed models the endpoint does not serve now can be chosen too: the bar then offers Activate
  const unserved = [...new Set([...(chosen && !served ? [chosen] : []), ...installed.filter((m) => m.status === 'installed').map((m) => m.name)])].filter((id) => !models.ids.includes(id));
  const local = installed.find((m) => m.name === chosen && m.status === 'installed');
  const choose = (model: string) => void (current ? update({ model }) : create(model)).catch(() => {});
  return (
    <div className="chat-model" data-testid="chat-model-bar">
      <div className="row">
        <label className="inline" htmlFor="chat-model-select">
          Model
        </label>
        <select id="chat-model-select" value={chosen} onChange={(e) => choose(e.target.value)} data-testid="chat-model-select" disabled={models.ids.length + unserved.length === 0}>
          {models.ids.length + unserved.length === 0 && <option value="">nothing served now</option>}
          {groupRoutes(models.ids, routes, providers).map(([group, ids]) => (
            <optgroup key={group} label={group}>
              {ids.map(([id, state]) => (
                <option key={id} value={id}>
                  {state === 'serving' ? id : `${id} (${state})`}
                </option>
              ))}
            </optgroup>
          ))}
          {unserved.length > 0 && (
            <optgroup label="Installed, not served now">
              {unserved.map((id) => (
                <option key={id} value={id}>
                  {id} (not served now)
                </option>
              ))}
            </optgroup>
          )}
        </select>
        {chosen && served && (
          <span className="badge badge-ok" data-testid="chat-active-model">
            answering: {chosen}
          </span>
        )}
        {chosen && !served && local && (
          <button data-testid="chat-activate" disabled={busy[chosen] === 'activate'} onClick={() => void activate(chosen).then(() => useStore.getState().loadChatModels())} title="Starts it on its runtime: the endpoint then serves it to every client">
            {busy[chosen] === 'activate' ? 'Activating…' : `Activate ${chosen}`}
          </button>
        )}
      </div>
      <p className="muted small" data-testid="chat-model-note">
        {models.error
          ? `The model list could not be read: ${models.error}`
          : chosen && !served
            ? `${chosen} is not served now${local ? ': Activate it' : ''}${models.ids.length ? ', or pick a served model' : ''}.`
            : models.ids.length === 0
              ? 'Nothing is served now: activate a model under Installed or Runtimes, or a remote model under Providers.'
              : 'This conversation keeps its choice and sends it as each request’s model: /v1 routes it by name, and other apps keep theirs.'}
      </p>
      {chosen && errors[chosen] && (
        <p className="error small" role="alert">
          <Linkified text={errors[chosen]!} />
        </p>
      )}
    </div>
  );
}

type Group = [label: string, ids: [id: string, state: string][]];

/** The served ids as the router groups them: local slots, cluster endpoints, cloud APIs (route state beside each). */
function groupRoutes(ids: string[], routes: Route[], providers: RemoteProvider[]): Group[] {
  const byName = new Map(routes.map((r) => [r.model, r]));
  const kinds = new Map(providers.map((p) => [p.id, p.kind]));
  const groups: Record<'Local' | 'Cluster' | 'Cloud', [string, string][]> = { Local: [], Cluster: [], Cloud: [] };
  for (const id of ids) {
    const r = byName.get(id);
    const group = !r || r.target.kind === 'local' ? 'Local' : CLOUD_KINDS.has(kinds.get(r.target.provider) ?? '') ? 'Cloud' : 'Cluster';
    groups[group].push([id, r?.state ?? 'serving']);
  }
  return (Object.entries(groups) as [string, [string, string][]][]).filter(([, list]) => list.length > 0);
}
