import { loadOrCreateToken, startupFromArgv } from './config';

/**
 * Minimal CLI over the local API: `switchyard status|start <runtime> [model]|stop <runtime>|logs <runtime>`.
 * Talks HTTP to a running Switchyard (the same API the UI uses); `--format json` prints raw bodies.
 */
async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--format') && argv[argv.indexOf('--format') + 1] === 'json';
  const args = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--format' && argv[i - 1] !== '--port' && argv[i - 1] !== '--data-dir');
  const options = startupFromArgv(argv);
  const base = process.env.SWITCHYARD_URL ?? `http://${options.host}:${options.port}`;
  const token = options.token ?? loadOrCreateToken(options.dataDir);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const [command, runtime, model] = args;
  let result: Record<string, unknown>;
  switch (command) {
    case 'status':
      result = await call('GET', '/api/v1/system/llm-servers');
      break;
    case 'start':
      result = await call('POST', '/api/v1/system/llm-servers/active', { server_name: runtime, model_name: model });
      break;
    case 'stop':
      result = await call('POST', `/api/v1/system/llm-servers/${runtime}/stop`);
      break;
    case 'logs':
      result = await call('GET', `/api/v1/system/llm-servers/${runtime}/logs?tail=100`);
      break;
    default:
      process.stderr.write('usage: switchyard status | start <ollama|vllm> [model] | stop <runtime> | logs <runtime> [--format json]\n');
      return 2;
  }
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (result.success === false) process.stderr.write(`error: ${JSON.stringify(result.error)}\n`);
  else if (Array.isArray(result.servers)) for (const s of result.servers as { name: string; state: string; model: string | null; port: number }[]) process.stdout.write(`${s.name.padEnd(8)} ${s.state.padEnd(14)} :${s.port} ${s.model ?? ''}\n`);
  else if (Array.isArray(result.lines)) for (const l of result.lines as { line: string }[]) process.stdout.write(`${l.line}\n`);
  else process.stdout.write(`${JSON.stringify(result)}\n`);
  return result.success === false ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`switchyard: ${error instanceof Error ? error.message : String(error)} — is Switchyard running (npm run serve)?\n`);
    process.exit(1);
  },
);
