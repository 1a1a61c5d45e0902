const tone: Record<string, string> = {
  ready: 'ok',
  external: 'ok',
  starting: 'busy',
  stopping: 'busy',
  stopped: 'idle',
  not_installed: 'warn',
  crashed: 'bad',
  // it runs but stopped answering its health probe: Restart continues and restarts it
  unresponsive: 'bad',
};

export function StateBadge({ state, testId }: { state: string; testId?: string }) {
  return (
    <span className={`badge badge-${tone[state] ?? 'idle'}`} data-testid={testId}>
      {state.replace('_', ' ')}
    </span>
  );
}
