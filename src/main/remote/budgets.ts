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

/**
 * Spend against budgets, per provider and over all of them. Usage is written as each request ends; a
 * crossed line is told once per period and level (`provider.budget`, and a notification through it); a
 * crossed hard line refuses the next request before anything is sent.
 */
export class Budgets {
  private readonly told = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: BudgetsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The refusal when a hard budget (the provider's, or the global one) is used up. */
  check(provider: ProviderRow): Refusal | null {
    const own = provider.governance.budget;
    if (own?.hard_usd !== undefined) {
      const spent = this.spent(provider.id, own);
      if (spent >= own.hard_usd) return this.refusal(`${provider.id}'s hard budget`, spent, own);
    }
    const global = this.options.globalBudget();
    if (global?.hard_usd !== undefined) {
      const spent = this.spent(null, global);
      if (spent >= global.hard_usd) return this.refusal('the global hard budget for remote providers', spent, global);
    }
    return null;
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

  private refusal(what: string, spent: number, budget: Budget): Refusal {
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
