import { describe, expect, it } from 'vitest';
import { fieldWords, networkWords, reasonWords, validationSentence } from './error-words';

describe('API errors in words', () => {
  it('names the field and says what it must be, without the schema dump', () => {
    expect(validationSentence([{ field: 'body.governance.budget.hard_usd', message: 'Invalid input: expected number, received null' }])).toBe('Governance › budget › hard USD: Must be a number (it was empty).');
    expect(validationSentence([{ field: 'body.temperature', message: 'Too big: expected number to be <=2' }])).toBe('Temperature: must be at most 2.');
    expect(validationSentence([{ field: 'body.runtime.healthIntervalMs', message: 'Too small: expected number to be >=100' }])).toBe('Runtime › health interval ms: must be at least 100.');
    expect(validationSentence([])).toBeNull();
    expect(validationSentence('nope')).toBeNull();
  });

  it('keeps request parts and list indexes out of the field name', () => {
    expect(fieldWords('querystring.vram_gb')).toBe('VRAM GB');
    expect(fieldWords('body.models.3.id')).toBe('Models › ID');
    expect(fieldWords('body')).toBe('The request');
  });

  it('turns socket error codes into words and leaves other messages alone', () => {
    expect(networkWords('connect ECONNREFUSED 127.0.0.1:443')).toBe('The server refused the connection (it may not be running).');
    expect(networkWords('getaddrinfo ENOTFOUND huggingface.co')).toMatch(/could not be found/);
    expect(networkWords('Model not found.')).toBe('Model not found.');
  });
  it('says a reason code in words, an unknown one at least without underscores', () => {
    expect(reasonWords('auth_error')).toBe('the key was refused');
    expect(reasonWords('unreachable')).toBe('did not answer');
    expect(reasonWords('some_new_code')).toBe('some new code');
  });
});
