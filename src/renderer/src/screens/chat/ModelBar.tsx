import { useStore } from '../../store';
import { Linkified } from '../../components/Linkified';

/**
 * This conversation's model: chosen from what Switchyard's OpenAI-compatible endpoint lists
 * (`GET /v1/models`), stored with the conversation and sent as each request's `model`. Choosing one
 * changes nothing for other clients; only the explicit Activate button (shown when the chosen model is
 * installed but not served) changes what the endpoint serves.
 */
export function ModelBar() {
  const models = useStore((s) => s.chatModels);
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
          {models.ids.length > 0 && (
            <optgroup label="Served now (GET /v1/models)">
              {models.ids.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </optgroup>
          )}
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
              : models.ids.length === 1
                ? 'The endpoint serves one model at a time (GET /v1/models lists it). This conversation keeps its choice and sends it as each request’s model; it never switches what is served.'
                : 'This conversation keeps its choice and sends it as each request’s model; other apps are not affected.'}
      </p>
      {chosen && errors[chosen] && (
        <p className="error small" role="alert">
          <Linkified text={errors[chosen]!} />
        </p>
      )}
    </div>
  );
}
