import { AppError } from '../common/app-error.js';

/** text: trimmed length 1..maxLength. The text is stored exactly as sent (not trimmed). */
export function assertMessageText(text: string, maxLength: number, field = 'text'): void {
  const length = text.trim().length;
  if (length === 0) throw AppError.validation('text is empty', [{ field, messages: [`${field} must not be blank`] }]);
  if (length > maxLength) {
    throw AppError.validation('text is too long', [
      { field, messages: [`${field} must be at most ${maxLength} characters`] },
    ]);
  }
}
