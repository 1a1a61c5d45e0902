import { useEffect } from 'react';
import { fieldsOf, groupsOf } from '../../../shared/settings-fields';
import type { SettingsPatch } from '../../../shared/settings';
import { useStore } from '../store';
import { HubTokenField } from './settings/HubTokenField';
import { FIELD_LABELS, GROUP_TITLES, OVERRIDE_SOURCES, titleFromName } from './settings/labels';
import { SettingField } from './settings/SettingField';

/** Every settings group the core reports, each field saved on its own (Enter or leaving the field). */
export function SettingsScreen() {
  const settings = useStore((s) => s.settings);
  const load = useStore((s) => s.loadSettings);
  const save = useStore((s) => s.saveSettings);
  useEffect(() => {
    void load().catch(() => {});
  }, [load]);
  if (!settings) return <section className="screen">Loading settings…</section>;

  const values = settings.settings as unknown as Record<string, Record<string, unknown>>;
  const groups = groupsOf(values);
  return (
    <section className="screen settings-screen">
      <h1>Settings</h1>
      <p className="muted">Each field is saved when you press Enter or leave it; Escape puts back the saved value.</p>
      <nav className="settings-toc">
        {groups.map((g) => (
          <a key={g} href={`#/settings?group=${g}`} onClick={(e) => (e.preventDefault(), document.getElementById(`settings-${g}`)?.scrollIntoView())}>
            {GROUP_TITLES[g]?.title ?? titleFromName(g)}
          </a>
        ))}
      </nav>
      <dl className="facts">
        <dt>Data dir</dt>
        <dd className="mono" data-testid="settings-data-dir">{settings.paths.data_dir}</dd>
        <dt>HF cache</dt>
        <dd className="mono">{settings.paths.hf_hub_cache}</dd>
        <dt>Logs</dt>
        <dd className="mono">{settings.paths.log_dir}</dd>
      </dl>
      {groups.map((group) => (
        <fieldset key={group} id={`settings-${group}`} className="card settings-group" data-testid={`settings-group-${group}`}>
          <legend>{GROUP_TITLES[group]?.title ?? titleFromName(group)}</legend>
          {GROUP_TITLES[group]?.about && <p className="muted small">{GROUP_TITLES[group]!.about}</p>}
          {group === 'hub' && <HubTokenField />}
          {fieldsOf(group, values[group] ?? {})
            .filter((f) => !(group === 'hub' && f.key === 'token'))
            .map((f) => {
              const path = `${group}.${f.key}`;
              const overridden = settings.overridden.includes(path);
              const text = FIELD_LABELS[path];
              return (
                <SettingField
                  key={path}
                  spec={f}
                  label={text?.label ?? titleFromName(f.key)}
                  hint={text?.hint}
                  value={values[group]?.[f.key]}
                  overriddenBy={overridden ? (OVERRIDE_SOURCES[path] ?? 'a flag or environment variable') : null}
                  save={(value) => save({ [group]: { [f.key]: value } } as SettingsPatch)}
                />
              );
            })}
        </fieldset>
      ))}
    </section>
  );
}
