import { z } from 'zod';

/**
 * Everything Switchyard knows about one `vllm serve` option. The rest of the code derives from this
 * entry: the API's `RuntimeFlags`, Settings › vLLM, the launch arguments, the parse-back of an adopted
 * process's command line, the fit output and the labels the UI shows.
 */
export interface VllmFlagSpec {
  /** the `vllm serve` option; a boolean flag is passed bare (`--trust-remote-code`) when true */
  cli: `--${string}`;
  /** its key in Settings › vLLM; null: per model only, never a global setting */
  setting: string | null;
  /** what a set value must be (as vLLM accepts it); "not set" (null) is added around it */
  schema: z.ZodNumber | z.ZodString | z.ZodBoolean | z.ZodEnum;
  /** what the UI calls it; the option itself is shown after it */
  label: string;
  help?: string;
}

/**
 * The vLLM flags, keyed by their API name (vLLM's own argument name, snake_case). Rules follow vLLM's
 * engine arguments (see protocols.md §2.1); adding a flag here is the whole change.
 */
export const VLLM_FLAGS = {
  gpu_memory_utilization: {
    cli: '--gpu-memory-utilization',
    setting: 'gpuMemoryUtilization',
    // cache.py: Field(gt=0, le=1)
    schema: z.number().gt(0).max(1),
    label: 'GPU memory share',
    help: 'a fraction above 0, up to 1; empty: vLLM’s default 0.9',
  },
  max_model_len: {
    cli: '--max-model-len',
    setting: 'maxModelLen',
    // any positive length; above the model's own limit vLLM refuses to start, which a check before the launch says
    schema: z.number().int().positive(),
    label: 'Context length',
    help: 'empty: what fits',
  },
  tensor_parallel_size: {
    cli: '--tensor-parallel-size',
    setting: 'tensorParallelSize',
    // a positive int, as vLLM takes it; one that does not divide the attention heads is refused before the launch (hf-vllm driver)
    schema: z.number().int().positive(),
    label: 'GPUs per model',
    help: 'empty: 1',
  },
  dtype: {
    cli: '--dtype',
    setting: 'dtype',
    // argparse choices: anything else makes `vllm serve` exit with a usage error
    schema: z.enum(['auto', 'half', 'float16', 'bfloat16', 'float', 'float32']),
    label: 'Weights data type',
  },
  quantization: {
    cli: '--quantization',
    setting: 'quantization',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a quantization method name such as awq or fp8'),
    label: 'Quantization',
    help: 'e.g. awq, gptq, fp8; empty: from the model',
  },
  trust_remote_code: {
    cli: '--trust-remote-code',
    // per model, never global: it runs Python from the model's repo with the user's rights
    setting: null,
    schema: z.boolean(),
    label: 'Allow remote code',
    help: 'runs the Python code the model ships (config.json auto_map)',
  },
} as const satisfies Record<string, VllmFlagSpec>;
