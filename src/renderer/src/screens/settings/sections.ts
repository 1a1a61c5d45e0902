import type { DriverInfo, DriverSettings } from '../../../../shared/api/runtimes';
import { groupsOf } from '../../../../shared/settings-fields';
import { runtimeGroup, type Settings, type SettingsPatch } from '../../../../shared/settings';
import { FIELD_LABELS, GROUP_TITLES, OVERRIDE_SOURCES, titleFromName } from './labels';

/** One fieldset of the Settings screen: a group of the schema, or a runtime's group as its driver describes it. */
export interface SettingsSection {
  /** `hub`, `vllm`, `runtimes.<id>` */
  path: string;
  title: string;
  about: string | null;
  values: Record<string, unknown>;
  text(key: string): { label: string; hint?: string } | undefined;
  /** the env var or flag that wins over a field, where one does */
  overrideSource(key: string): string | undefined;
  patch(key: string, value: unknown): SettingsPatch;
}

const RUNTIMES = 'runtimes';

/**
 * The sections in schema order; in place of the `runtimes` group, one section per runtime in the
 * common shape (those the drivers describe, then any stored for a runtime no driver serves now).
 * A runtime's title, about text and field texts are its driver's: no runtime is named here.
 */
export function settingsSections(settings: Settings, drivers: readonly DriverInfo[] | null): SettingsSection[] {
  const values = settings as unknown as Record<string, Record<string, unknown>>;
  const described = new Map((drivers ?? []).flatMap((d) => (d.settings ? [[d.settings.path, d.settings] as const] : [])));
  return groupsOf(values).flatMap((group) => {
    if (group !== RUNTIMES) return [section(group, values[group] ?? {}, described.get(group))];
    const paths = [...described.keys()].filter((p) => p.startsWith(`${RUNTIMES}.`));
    for (const id of Object.keys(settings.runtimes)) if (!paths.includes(`${RUNTIMES}.${id}`)) paths.push(`${RUNTIMES}.${id}`);
    return paths.map((path) => {
      const id = path.slice(RUNTIMES.length + 1);
      return section(path, runtimeGroup(settings, id), described.get(path), id);
    });
  });
}

function section(path: string, values: Record<string, unknown>, driver: DriverSettings | undefined, runtimeId?: string): SettingsSection {
  const field = (key: string) => driver?.fields[key];
  return {
    path,
    title: driver?.title ?? GROUP_TITLES[path]?.title ?? titleFromName(runtimeId ?? path),
    about: driver?.about ?? GROUP_TITLES[path]?.about ?? null,
    values,
    text: (key) => {
      const own = field(key);
      return own ? { label: own.label, hint: own.hint ?? undefined } : FIELD_LABELS[`${path}.${key}`];
    },
    overrideSource: (key) => field(key)?.env ?? OVERRIDE_SOURCES[`${path}.${key}`],
    patch: (key, value) => (runtimeId ? { runtimes: { [runtimeId]: { [key]: value } } } : ({ [path]: { [key]: value } } as SettingsPatch)),
  };
}
