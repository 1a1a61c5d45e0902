import type { Budget } from '../../shared/api/remote';
import type { EventBus } from '../events';
import { budgetLevel, periodStart, type Refusal } from './governance';
import type { ProviderRepo, ProviderRow, UsageEntry } from './provider-repo';

export interface BudgetsOptions {
  repo: ProviderRepo;
  events: EventBus;
  /** the one budget over every provider (Settings › Remote providers) */
  globalBudget: () => Budget | undefined;
  now?: () => number;
}

/** Spend set aside for a request in flight; `release` once its real cost is recorded (idempotent). */
export interface Reservation {
  release(): void;
}

/**
 * Spend against budgets, per provider and over all of them. Before a request is sent its worst case is
 * reserved (prompt estimate + its completion cap, at the provider's prices); a request whose reservation
 * does not fit what is left of a hard budget, with every other reservation in flight counted, is refused
 * before anything is sent. So concurrent requests cannot take spend past a hard line together. Usage is
 * written as each request ends; a crossed line is told once per period and level (`provider.budget`).
 */
export class Budgets {
  private readonly told = new Set<string>();
  private readonly now: () => number;
  /** USD reserved by requests in flight, per provider */
  private readonly reserved = new Map<string, number>();

  constructor(private readonly options: BudgetsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The refusal when a hard budget (the provider's, or the global one) is used up. */
  check(provider: ProviderRow): Refusal | null {
    const r = this.reserve(provider, 0);
    if ('reason' in r) return r;
    r.release();
    return null;
  }

  /** Sets `worstUsd` aside for one request, or refuses it when a hard budget cannot hold it. */
  reserve(provider: ProviderRow, worstUsd: number): Reservation | Refusal {
    const own = provider.governance.budget;
    if (own?.hard_usd !== undefined) {
      const spent = this.spent(provider.id, own);
      const held = this.reserved.get(provider.id) ?? 0;
      if (spent >= own.hard_usd || (worstUsd > 0 && spent + held + worstUsd > own.hard_usd)) return this.refusal(`${provider.id}'s hard budget`, spent, own, held, worstUsd);
    }
    const global = this.options.globalBudget();
    if (global?.hard_usd !== undefined) {
      const spent = this.spent(null, global);
      const held = [...this.reserved.values()].reduce((a, b) => a + b, 0);
      if (spent >= global.hard_usd || (worstUsd > 0 && spent + held + worstUsd > global.hard_usd)) return this.refusal('the global hard budget for remote providers', spent, global, held, worstUsd);
    }
    if (worstUsd <= 0) return { release: () => {} };
    this.reserved.set(provider.id, (this.reserved.get(provider.id) ?? 0) + worstUsd);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.reserved.get(provider.id) ?? 0) - worstUsd;
        if (left > 1e-12) this.reserved.set(provider.id, left);
        else this.reserved.delete(provider.id);
      },
    };
  }

  /** Whether the global budget has a hard line (requests then reserve their worst case). */
  globalHard(): boolean {
    return this.options.globalBudget()?.hard_usd !== undefined;
  }

  record(provider: ProviderRow, entry: Omit<UsageEntry, 'day' | 'provider'>): void {
    this.options.repo.addUsage({ ...entry, day: new Date(this.now()).toISOString().slice(0, 10), provider: provider.id });
    if (entry.costUsd <= 0) return;
    this.tell(provider.id, 'provider', provider.governance.budget);
    this.tell(null, 'global', this.options.globalBudget());
  }

  /** Spend of one provider (or all, `null`) in the budget's current period. */
  spent(provider: string | null, budget: Pick<Budget, 'period'>): number {
    return this.options.repo.spend(provider, periodStart(budget.period, this.now())).cost_usd;
  }

  private tell(provider: string | null, scope: 'provider' | 'global', budget: Budget | undefined): void {
    if (!budget) return;
    const spent = this.spent(provider, budget);
    const level = budgetLevel(budget, spent);
    if (!level) return;
    const key = `${scope}:${provider}:${level}:${periodStart(budget.period, this.now())}`;
    if (this.told.has(key)) return;
    this.told.add(key);
    const limit = level === 'hard' ? budget.hard_usd! : budget.soft_usd!;
    this.options.events.emit({ type: 'provider.budget', provider, scope, level, spent_usd: round(spent), limit_usd: limit, period: budget.period });
  }

  private refusal(what: string, spent: number, budget: Budget, held = 0, worst = 0): Refusal {
    if (spent < budget.hard_usd!) {
      return {
        reason: 'budget_exceeded',
        message: `${what} cannot hold this request: $${round(spent)} spent and $${round(held)} reserved by requests in flight of $${budget.hard_usd} this ${budget.period}, and this one may cost up to $${round(worst)} (its prompt and max_tokens at the provider's prices). Lower max_tokens, retry when requests in flight end, or raise the budget.`,
        retryAfterS: held > 0 ? 1 : null,
      };
    }
    return {
      reason: 'budget_exceeded',
      message: `${what} is used up: $${round(spent)} of $${budget.hard_usd} this ${budget.period}. Raise it (Providers, or Settings › Remote providers) or wait for the next ${budget.period}.`,
      retryAfterS: null,
    };
  }
}

const round = (n: number) => Math.round(n * 1e4) / 1e4;

/** The global budget from Settings › Remote providers, when any line is set. */
export function globalBudgetOf(settings: { budgetSoftUsd: number | null; budgetHardUsd: number | null; budgetPeriod: 'day' | 'month' }): Budget | undefined {
  if (settings.budgetSoftUsd === null && settings.budgetHardUsd === null) return undefined;
  return {
    period: settings.budgetPeriod,
    ...(settings.budgetSoftUsd !== null ? { soft_usd: settings.budgetSoftUsd } : {}),
    ...(settings.budgetHardUsd !== null ? { hard_usd: settings.budgetHardUsd } : {}),
  };
}
