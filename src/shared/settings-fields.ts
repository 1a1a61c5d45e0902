import { z } from 'zod';
import { RuntimeGroupSettings, Settings } from './settings';

/**
 * How the settings UI shows a field, read from the zod schema so a field added to `settings.ts`
 * appears in Settings without a change to the renderer.
 */
export type FieldKind =
  | { kind: 'text' }
  | { kind: 'number'; integer: boolean }
  | { kind: 'bool' }
  | { kind: 'enum'; options: string[] }
  | { kind: 'list' }
  | { kind: 'map' };

export interface FieldSpec {
  group: string;
  key: string;
  /** the field's own schema, defaults removed: validates what the user typed */
  schema: z.ZodType | null;
  nullable: boolean;
  kind: FieldKind;
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; nullable: boolean } {
  let inner = schema;
  let nullable = false;
  for (;;) {
    if (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
    else if (inner instanceof z.ZodNullable) {
      nullable = true;
      inner = inner.unwrap() as z.ZodType;
    } else return { inner, nullable };
  }
}

function kindOf(inner: z.ZodType | null, value: unknown): FieldKind {
  if (inner instanceof z.ZodBoolean) return { kind: 'bool' };
  if (inner instanceof z.ZodNumber) return { kind: 'number', integer: Boolean(inner.format && /int/.test(inner.format)) };
  if (inner instanceof z.ZodEnum) return { kind: 'enum', options: inner.options.map(String) };
  if (inner instanceof z.ZodArray) return { kind: 'list' };
  if (inner instanceof z.ZodRecord) return { kind: 'map' };
  if (inner instanceof z.ZodString) return { kind: 'text' };
  // a field the schema here does not know (a newer core): shown by the type of its value
  if (typeof value === 'boolean') return { kind: 'bool' };
  if (typeof value === 'number') return { kind: 'number', integer: Number.isInteger(value) };
  if (Array.isArray(value)) return { kind: 'list' };
  if (value && typeof value === 'object') return { kind: 'map' };
  return { kind: 'text' };
}

/** A group's fields by key: a group of the schema, or `runtimes.<id>` (a runtime's group in the common shape). */
function groupShape(group: string): Record<string, z.ZodType> | null {
  if (group.startsWith('runtimes.')) return RuntimeGroupSettings.shape;
  const field = (Settings.shape as Record<string, z.ZodType>)[group];
  if (!field) return null;
  const { inner } = unwrap(field);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : null;
}

/** The fields of a group: those of the schema, then any others the core sent. */
export function fieldsOf(group: string, values: Record<string, unknown>): FieldSpec[] {
  const shape = groupShape(group) ?? {};
  const keys = [...Object.keys(shape), ...Object.keys(values).filter((k) => !(k in shape))];
  return keys.map((key) => {
    const own = shape[key];
    const { inner, nullable } = own ? unwrap(own) : { inner: null, nullable: values[key] === null };
    const schema = own && inner ? (nullable ? inner.nullable() : inner) : null;
    return { group, key, schema, nullable, kind: kindOf(inner, values[key]) };
  });
}

/** The keys of a group (`vllm`, `runtimes.<id>`) as the schema has them. */
export function groupKeys(group: string): string[] {
  return Object.keys(groupShape(group) ?? {});
}

/** Groups in schema order, then any the core sent that this build does not know. */
export function groupsOf(settings: Record<string, unknown>): string[] {
  const known = Object.keys(Settings.shape);
  return [...known.filter((g) => g in settings), ...Object.keys(settings).filter((g) => !known.includes(g))];
}

export { serverMessageSentence } from './validation-words';

const num = (v: unknown) => (typeof v === 'number' || typeof v === 'bigint' ? Number(v).toLocaleString('en-US') : String(v));

/** A zod issue as a sentence a person can act on. */
export function issueSentence(issue: z.core.$ZodIssue, integer = false): string {
  switch (issue.code) {
    case 'too_big':
      return issue.inclusive === false ? `Must be less than ${num(issue.maximum)}.` : `Must be at most ${num(issue.maximum)}.`;
    case 'too_small':
      if (issue.origin === 'string') return 'Must not be empty.';
      // "more than 0" for a count reads better as "at least 1"
      if (integer && issue.inclusive === false && Number.isInteger(Number(issue.minimum))) return `Must be at least ${num(Number(issue.minimum) + 1)}.`;
      return issue.inclusive === false ? `Must be more than ${num(issue.minimum)}.` : `Must be at least ${num(issue.minimum)}.`;
    case 'invalid_type':
      return issue.expected === 'int' || issue.expected === 'number' ? 'Must be a number.' : `Must be a ${issue.expected}.`;
    case 'invalid_value':
      return `Must be one of: ${issue.values.map(String).join(', ')}.`;
    case 'invalid_format':
      // a pattern with its own message ("a proxy URL such as …") says it better than "regex"
      if (issue.format === 'regex' && issue.message && !/^Invalid/.test(issue.message)) return `Must be ${issue.message.replace(/\.$/, '')}.`;
      return `Must be a valid ${issue.format}.`;
    default: {
      if (/integer|int/i.test(issue.message)) return 'Must be a whole number.';
      // a refine's own message ("must be a duration such as 5m…") as a sentence, like a pattern's
      const sentence = issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
      return sentence.endsWith('.') ? sentence : `${sentence}.`;
    }
  }
}


/**
 * Turns what the user typed into the field's value, checked against its schema.
 * Empty means "not set" (null) where the field allows it.
 */
export function parseFieldInput(spec: FieldSpec, raw: string | boolean): { ok: true; value: unknown } | { ok: false; error: string } {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    switch (spec.kind.kind) {
      case 'number':
        if (text === '') value = spec.nullable ? null : '';
        else {
          value = Number(text.replace(/[_,\s]/g, ''));
          if (Number.isNaN(value)) return { ok: false, error: 'Must be a number.' };
          if (spec.kind.integer && !Number.isInteger(value)) return { ok: false, error: 'Must be a whole number.' };
        }
        if (value === '') return { ok: false, error: 'Must not be empty.' };
        break;
      case 'list':
        value = raw.split('\n').map((l) => l.trim()).filter(Boolean);
        break;
      case 'map': {
        const map: Record<string, string> = {};
        for (const line of raw.split('\n').map((l) => l.trim()).filter(Boolean)) {
          const eq = line.indexOf('=');
          if (eq <= 0) return { ok: false, error: `"${line}" is not KEY=value.` };
          map[line.slice(0, eq).trim()] = line.slice(eq + 1);
        }
        value = map;
        break;
      }
      case 'enum':
        value = text === '' && spec.nullable ? null : text;
        break;
      default:
        value = text === '' && spec.nullable ? null : text;
    }
  }
  if (!spec.schema) return { ok: true, value };
  const checked = spec.schema.safeParse(value);
  return checked.success ? { ok: true, value: checked.data } : { ok: false, error: issueSentence(checked.error.issues[0]!, spec.kind.kind === 'number' && spec.kind.integer) };
}

/** The value as the text its input shows. */
export function formatFieldValue(spec: FieldSpec, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (spec.kind.kind === 'list' && Array.isArray(value)) return value.join('\n');
  if (spec.kind.kind === 'map' && typeof value === 'object') return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join('\n');
  return String(value);
}
