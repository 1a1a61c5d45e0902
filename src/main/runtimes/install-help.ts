import type { RuntimeName } from '../../shared/api/runtimes';

/** How a person installs each runtime: the commands their own docs give, for the first-run screen. */
export const installHelp: Record<RuntimeName, { install: { label: string; command: string }[]; docs_url: string; requirements: string }> = {
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
