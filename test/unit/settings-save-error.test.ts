import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/renderer/src/api/client';
import { saveErrorSentence } from '../../src/renderer/src/screens/settings/SettingField';

describe('a refused save, said at its field', () => {
  it("takes the server's detail for this field and says it as a sentence", () => {
    const error = new ApiError('validation_error', 'Invalid body.vllm.gpuMemoryUtilization: Too big: expected number to be <=1', 400, [
      { field: 'body.vllm.maxModelLen', message: 'Too small: expected number to be >0' },
      { field: 'body.vllm.gpuMemoryUtilization', message: 'Too big: expected number to be <=1' },
    ]);
    expect(saveErrorSentence(error, 'vllm', 'gpuMemoryUtilization')).toBe('Must be at most 1.');
    expect(saveErrorSentence(error, 'vllm', 'maxModelLen')).toBe('Must be more than 0.');
  });

  it('falls back to the message of any other failure', () => {
    expect(saveErrorSentence(new ApiError('unreachable', 'Cannot reach Switchyard — is it still running?', 0), 'vllm', 'port')).toBe('Cannot reach Switchyard — is it still running?');
  });
});
