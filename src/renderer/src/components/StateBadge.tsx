const tone: Record<string, string> = {
  ready: 'ok',
  external: 'ok',
  starting: 'busy',
  stopping: 'busy',
  stopped: 'idle',
  not_installed: 'warn',
  crashed: 'bad',
};

export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  return (
    <span className={`badge badge-${tone[state] ?? 'idle'}`} data-testid={testId}>
      {state.replace('_', ' ')}
    </span>
  );
}
