import type { RuntimeAdapter } from './adapters';

interface InstallHelp {
  install: { label: string; command: string }[];
  docs_url: string;
  requirements: string;
}

/** How a person installs each runtime: the commands their own docs give, for the first-run screen. */
const installHelp: Record<string, InstallHelp> = {
  ollama: {
    install: [{ label: 'Linux (official install script)', command: 'curl -fsSL https://ollama.com/install.sh | sh' }],
    docs_url: 'https://ollama.com/download',
    requirements: 'Runs on an NVIDIA or AMD GPU, and without a GPU on the CPU from system RAM (slower, but small models are fine).',
  },
  vllm: {
    install: [
      { label: 'with uv (a tool of its own)', command: 'uv tool install vllm' },
      { label: 'with pip, in a virtual environment', command: 'python3 -m venv ~/.venv-vllm && ~/.venv-vllm/bin/pip install vllm' },
    ],
    docs_url: 'https://docs.vllm.ai/en/latest/getting_started/installation/',
    requirements: 'Needs Linux and an NVIDIA GPU with CUDA; without a GPU, use Ollama.',
  },
};

/** A runtime's install help; one without an entry here gets its adapter's hint. */
export function installHelpOf(adapter: Pick<RuntimeAdapter, 'name' | 'installHint'>): InstallHelp {
  return installHelp[adapter.name] ?? { install: [], docs_url: '', requirements: adapter.installHint };
}
