import type { AppEvent } from '../shared/events';
import { runtimeLabel } from '../shared/runtimes';

/** A desktop notification to show; the Electron glue (src/main/index.ts) turns it into a `Notification`. */
export interface DesktopNotice {
  title: string;
  body: string;
  /** errors stay until dismissed where the platform allows it */
  urgent: boolean;
}

/**
 * Decides which events deserve a system notification: an install or removal that finished, an
 * activation that finished (served or failed), a runtime crash. Each thing is told once — progress
 * updates and repeated state events are ignored. Pure apart from its memory of what it has told.
 */
export class NotificationPolicy {
  private readonly told = new Set<string>();

  noticeFor(event: AppEvent): DesktopNotice | null {
    switch (event.type) {
      case 'operation.updated': {
        const op = event.operation;
        if (op.status !== 'completed' && op.status !== 'failed') return null;
        if (!this.once(`op:${op.operation_id}:${op.status}`)) return null;
        const what = op.operation_type === 'install' ? 'Install' : 'Removal';
        if (op.status === 'completed') {
          return { title: `${what} finished`, body: op.operation_type === 'install' ? `${op.model_name} is installed.` : `${op.model_name} was removed.`, urgent: false };
        }
        return { title: `${what} failed`, body: `${op.model_name}: ${op.error?.message ?? op.message}`, urgent: true };
      }
      case 'model.activation': {
        if (event.phase === 'serving') return { title: 'Model ready', body: `${event.model} is served by ${runtimeLabel(event.runtime)}.`, urgent: false };
        if (event.phase === 'failed' && event.error?.code !== 'cancelled') return { title: `Activation of ${event.model} failed`, body: event.message, urgent: true };
        return null;
      }
      case 'runtime.state': {
        const r = event.runtime;
        if (r.state !== 'crashed' || !r.last_error || r.last_error.code !== 'crashed') return null;
        if (!this.once(`crash:${r.name}:${r.last_error.at}`)) return null;
        return { title: `${runtimeLabel(r.name)} crashed`, body: r.last_error.message, urgent: true };
      }
      case 'provider.budget': {
        // told once per line and period already (remote/budgets.ts)
        const whose = event.scope === 'global' ? 'Remote providers' : event.provider;
        return event.level === 'hard'
          ? { title: `${whose}: hard budget reached`, body: `$${event.spent_usd} of $${event.limit_usd} this ${event.period}: remote requests are refused until it is raised or the ${event.period} ends.`, urgent: true }
          : { title: `${whose}: soft budget reached`, body: `$${event.spent_usd} of $${event.limit_usd} this ${event.period}.`, urgent: false };
      }
      case 'storage.alert': {
        // told once per crossing already (system/storage-watch.ts)
        const d = event.disk;
        const what = d.holds.map((h) => (h === 'hf-cache' ? 'the Hugging Face cache' : "Ollama's models")).join(' and ');
        return { title: `Disk ${d.used_percent}% full`, body: `${d.path} (${what}) is past ${event.alert_percent}%: remove models you no longer use (Installed, sorted by size).`, urgent: true };
      }
      default:
        return null;
    }
  }

  private once(key: string): boolean {
    if (this.told.has(key)) return false;
    this.told.add(key);
    if (this.told.size > 1000) this.told.delete(this.told.values().next().value!);
    return true;
  }
}

