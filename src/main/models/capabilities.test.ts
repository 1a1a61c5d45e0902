import { describe, expect, it } from 'vitest';
import { capabilitiesFromHf, capabilitiesFromOllama, effectiveCapabilities, templateRejectsSystem } from './capabilities';

const GEMMA = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}";

describe('capabilities', () => {
  it('detects a chat template that rejects the system role', () => {
    expect(templateRejectsSystem(GEMMA)).toBe(true);
    expect(templateRejectsSystem("{% if messages[0]['role'] == 'system' %}{{- raise_exception('no') }}{% endif %}")).toBe(true);
    expect(templateRejectsSystem("{% for m in messages %}{{ m.role }}{% endfor %}")).toBe(false);
    const caps = capabilitiesFromHf({ max_position_embeddings: 8192 }, { chat_template: GEMMA });
    expect(caps).toMatchObject({ supports_system_role: false, allowed_roles: ['user', 'assistant'], max_context_length: 8192 });
  });

  it('reads tools support, context length and quantization', () => {
    const caps = capabilitiesFromHf(
      { text_config: { max_position_embeddings: 32768 }, quantization_config: { quant_method: 'awq' } },
      { chat_template: [{ name: 'default', template: '{% if tools %}x{% endif %}' }] },
    );
    expect(caps).toMatchObject({ supports_function_calling: true, max_context_length: 32768, quantization: 'awq', allowed_roles: ['system', 'user', 'assistant', 'tool'] });
  });

  it('maps Ollama /api/show', () => {
    const caps = capabilitiesFromOllama({
      template: '{{ if .System }}{{ .System }}{{ end }}',
      capabilities: ['completion', 'tools'],
      model_info: { 'llama.context_length': 131072 },
      details: { quantization_level: 'Q4_K_M' },
    });
    expect(caps).toMatchObject({ supports_system_role: true, supports_function_calling: true, max_context_length: 131072, quantization: 'Q4_K_M' });
  });

  it('applies an override over detected values', () => {
    expect(effectiveCapabilities(null, { max_context_length: 4096 }).max_context_length).toBe(4096);
  });
});
