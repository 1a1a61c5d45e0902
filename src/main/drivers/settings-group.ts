import type { DriverSettings, SettingsFieldText } from '../../shared/api/runtimes';
import { groupKeys } from '../../shared/settings-fields';

/** What a driver says about its runtime's Settings group: what it is for and its own fields' texts. */
export interface SettingsText {
  about?: string;
  /** by field key; `hint` and `env` may be left out */
  fields?: Record<string, { label: string; hint?: string; env?: string }>;
}

/** Where a runtime's settings are and which env var sets its program: its adapter's to say. */
export interface SettingsPlace {
  path: string;
  binaryEnv: string | null;
}

const field = (label: string, hint?: string, env?: string): SettingsFieldText => ({ label, hint: hint ?? null, env: env ?? null });

/** The texts of the fields every runtime has, where a driver gives none of its own. */
const COMMON: Record<string, (label: string, place: SettingsPlace) => SettingsFieldText> = {
  binary: (label, place) => field(`${label} program`, 'a path, or a name found on PATH', place.binaryEnv ?? undefined),
  host: () => field('Listen address'),
  port: () => field('Port', 'empty: the runtime’s default'),
  extraArgs: () => field('Extra arguments', 'one argument per line'),
};

/**
 * A runtime's Settings group as the API lists it: a text for each field of the group (`groupKeys`),
 * the driver's own over the common ones; a field with neither is left out (the screen titles it by its key).
 */
export function driverSettings(label: string, text: SettingsText | undefined, place: SettingsPlace): DriverSettings {
  const fields: Record<string, SettingsFieldText> = {};
  for (const key of groupKeys(place.path)) {
    const common = COMMON[key]?.(label, place);
    const own = text?.fields?.[key];
    if (own) fields[key] = field(own.label, own.hint, own.env ?? common?.env ?? undefined);
    else if (common) fields[key] = common;
  }
  return { path: place.path, title: label, about: text?.about ?? null, fields };
}
