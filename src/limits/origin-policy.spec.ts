import { describe, expect, it } from '@jest/globals';
import { isOriginAllowed } from './origin-policy.js';

const from = (origin: string | undefined, host = 'chat.example.com') => (origin === undefined ? { host } : { origin, host });

describe('isOriginAllowed', () => {
  it('lets requests without an Origin header through (they are not browser pages)', () => {
    expect(isOriginAllowed(from(undefined), undefined)).toBe(true);
    expect(isOriginAllowed(from(undefined), ['https://app.example'])).toBe(true);
  });

  describe('default (no CORS_ORIGINS)', () => {
    it.each(['http://localhost', 'http://localhost:5173', 'https://127.0.0.1:8443', 'http://[::1]:3000', 'https://chat.example.com'])(
      'allows %s',
      (origin) => expect(isOriginAllowed(from(origin), undefined)).toBe(true),
    );

    it.each([
      'https://evil.example',
      'null',
      'http://localhost.evil.example',
      'http://chat.example.com.evil.example',
      'https://chat.example.com:8443',
      'file://',
      'garbage',
    ])('refuses %s', (origin) => expect(isOriginAllowed(from(origin), undefined)).toBe(false));

    it('refuses a foreign origin when the Host header is missing', () => {
      expect(isOriginAllowed({ origin: 'https://chat.example.com' }, undefined)).toBe(false);
    });
  });

  describe('production default (no CORS_ORIGINS)', () => {
    it.each(['http://localhost:5173', 'https://chat.example.com', 'https://evil.example'])('refuses %s: nothing is inferred', (origin) => {
      expect(isOriginAllowed(from(origin), undefined, true)).toBe(false);
    });
    it('still lets requests without Origin through and honours a list', () => {
      expect(isOriginAllowed(from(undefined), undefined, true)).toBe(true);
      expect(isOriginAllowed(from('https://app.example'), ['https://app.example'], true)).toBe(true);
    });
  });

  describe('explicit list', () => {
    const list = ['https://app.example', 'https://admin.example:8443'];
    it('allows exactly the listed origins', () => {
      expect(isOriginAllowed(from('https://app.example'), list)).toBe(true);
      expect(isOriginAllowed(from('https://admin.example:8443'), list)).toBe(true);
      for (const origin of [
        'http://app.example',
        'https://app.example.evil',
        'https://admin.example',
        'http://localhost:5173',
        'https://chat.example.com',
      ]) {
        expect(isOriginAllowed(from(origin), list)).toBe(false);
      }
    });

    it('allows any origin with *', () => {
      expect(isOriginAllowed(from('https://anything.example'), ['*'])).toBe(true);
    });
  });
});
