import type { Governance } from '../../../shared/api/remote';

/** The governance fields as typed into a form: text, empty meaning "none". */
export interface GovernanceForm {
  rpm: string;
  tpm: string;
  input: string;
  output: string;
  soft: string;
  hard: string;
  period: 'day' | 'month';
  timeout: string;
}

export const EMPTY_GOVERNANCE: GovernanceForm = { rpm: '', tpm: '', input: '', output: '', soft: '', hard: '', period: 'month', timeout: '' };

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));

/** What the API takes; the server validates the numbers and says what is wrong. */
export function governanceOf(f: GovernanceForm): Governance {
  const price = num(f.input) !== undefined || num(f.output) !== undefined ? { input_per_mtok: num(f.input) ?? 0, output_per_mtok: num(f.output) ?? 0 } : undefined;
  const budget = num(f.soft) !== undefined || num(f.hard) !== undefined ? { period: f.period, soft_usd: num(f.soft), hard_usd: num(f.hard) } : undefined;
  return { rpm: num(f.rpm), tpm: num(f.tpm), price, budget, first_byte_timeout_s: num(f.timeout) };
}

export function formOf(g: Governance): GovernanceForm {
  const s = (n: number | undefined) => (n === undefined ? '' : String(n));
  return {
    rpm: s(g.rpm),
    tpm: s(g.tpm),
    input: s(g.price?.input_per_mtok),
    output: s(g.price?.output_per_mtok),
    soft: s(g.budget?.soft_usd),
    hard: s(g.budget?.hard_usd),
    period: g.budget?.period ?? 'month',
    timeout: s(g.first_byte_timeout_s),
  };
}

export function GovernanceFields({ value, onChange }: { value: GovernanceForm; onChange: (v: GovernanceForm) => void }) {
  const field = (key: keyof GovernanceForm, label: string, hint?: string) => (
    <label className="field">
      {label}
      <input inputMode="decimal" value={value[key]} onChange={(e) => onChange({ ...value, [key]: e.target.value })} data-testid={`gov-${key}`} />
      {hint && <span className="small muted">{hint}</span>}
    </label>
  );
  return (
    <fieldset className="governance">
      <legend>Limits, prices and budget</legend>
      {field('rpm', 'Requests per minute', 'Switchyard refuses the rest with 429; empty: no limit')}
      {field('tpm', 'Tokens per minute')}
      {field('input', 'Price per million input tokens (USD)', 'your prices; nothing is fetched')}
      {field('output', 'Price per million output tokens (USD)')}
      {field('soft', 'Soft budget (USD)', 'past it: a notification')}
      {field('hard', 'Hard budget (USD)', 'past it: requests are refused')}
      <label className="field">
        Budget period
        <select value={value.period} onChange={(e) => onChange({ ...value, period: e.target.value as 'day' | 'month' })}>
          <option value="day">day</option>
          <option value="month">month</option>
        </select>
      </label>
      {field('timeout', 'Seconds before the first byte counts as a timeout', 'default 60')}
    </fieldset>
  );
}
