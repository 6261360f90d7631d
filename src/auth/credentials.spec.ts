import { describe, expect, it } from '@jest/globals';
import { bearerToken, secretsEqual } from './credentials.js';

describe('secretsEqual', () => {
  it('is true only for the same string', () => {
    expect(secretsEqual('key-123', 'key-123')).toBe(true);
    expect(secretsEqual('key-124', 'key-123')).toBe(false);
    expect(secretsEqual('key-1234', 'key-123')).toBe(false);
    expect(secretsEqual('', 'key-123')).toBe(false);
  });

  it('is false when nothing is configured or the given value is not a string', () => {
    expect(secretsEqual('anything', undefined)).toBe(false);
    expect(secretsEqual(undefined, undefined)).toBe(false);
    expect(secretsEqual(['key-123'], 'key-123')).toBe(false);
    expect(secretsEqual({ toString: () => 'key-123' }, 'key-123')).toBe(false);
  });

  it('compares bytes, so look-alike characters do not match', () => {
    expect(secretsEqual('k\u0435y', 'key')).toBe(false);
  });
});

describe('bearerToken', () => {
  it('reads "Bearer <token>" in any letter case', () => {
    expect(bearerToken({ authorization: 'Bearer abc.def.ghi' })).toBe('abc.def.ghi');
    expect(bearerToken({ authorization: 'bearer abc' })).toBe('abc');
    expect(bearerToken({ authorization: 'BEARER   abc' })).toBe('abc');
  });

  it('ignores other schemes, empty values and extra words', () => {
    expect(bearerToken({})).toBeUndefined();
    expect(bearerToken({ authorization: 'Basic YWRhOnB3' })).toBeUndefined();
    expect(bearerToken({ authorization: 'Bearer' })).toBeUndefined();
    expect(bearerToken({ authorization: 'Bearer ' })).toBeUndefined();
    expect(bearerToken({ authorization: 'Bearer a b' })).toBeUndefined();
    expect(bearerToken({ authorization: 'xBearer abc' })).toBeUndefined();
  });
});
