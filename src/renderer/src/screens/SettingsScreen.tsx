import { useEffect } from 'react';
import { fieldsOf } from '../../../shared/settings-fields';
import { useStore } from '../store';
import { HubTokenField } from './settings/HubTokenField';
import { titleFromName } from './settings/labels';
import { settingsSections } from './settings/sections';
import { SettingField } from './settings/SettingField';

/**
 * Every settings group the core reports, each field saved on its own (Enter or leaving the field).
 * The runtimes' groups, their titles and field texts come from their drivers (`GET /system/drivers`).
 */
export function SettingsScreen() {
  const settings = useStore((s) => s.settings);
  const load = useStore((s) => s.loadSettings);
  const save = useStore((s) => s.saveSettings);
  const drivers = useStore((s) => s.drivers);
  const loadDrivers = useStore((s) => s.loadDrivers);
  useEffect(() => {
    void load().catch(() => {});
    void loadDrivers().catch(() => {});
  }, [load, loadDrivers]);
  if (!settings) return <section className="screen">Loading settings…</section>;

  const sections = settingsSections(settings.settings, drivers);
  return (
    <section className="screen settings-screen">
      <h1>Settings</h1>
      <p className="muted">Each field is saved when you press Enter or leave it; Escape puts back the saved value.</p>
      <nav className="settings-toc">
        {sections.map((g) => (
          <a key={g.path} href={`#/settings?group=${g.path}`} onClick={(e) => (e.preventDefault(), document.getElementById(`settings-${g.path}`)?.scrollIntoView())}>
            {g.title}
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
      {sections.map((group) => (
        <fieldset key={group.path} id={`settings-${group.path}`} className="card settings-group" data-testid={`settings-group-${group.path}`}>
          <legend>{group.title}</legend>
          {group.about && <p className="muted small">{group.about}</p>}
          {group.path === 'hub' && <HubTokenField />}
          {fieldsOf(group.path, group.values)
            .filter((f) => !(group.path === 'hub' && f.key === 'token'))
            .map((f) => {
              const path = `${group.path}.${f.key}`;
              const overridden = settings.overridden.includes(path);
              const text = group.text(f.key);
              return (
                <SettingField
                  key={path}
                  spec={f}
                  label={text?.label ?? titleFromName(f.key)}
                  hint={text?.hint}
                  value={group.values[f.key]}
                  overriddenBy={overridden ? (group.overrideSource(f.key) ?? 'a flag or environment variable') : null}
                  save={(value) => save(group.patch(f.key, value))}
                />
              );
            })}
        </fieldset>
      ))}
    </section>
  );
}
