import { AppError } from '../common/app-error.js';

/** Any character that String.prototype.trim would keep (\s and trim share one definition). */
const NOT_BLANK = /\S/;

/**
 * text: 1..maxLength characters (UTF-16 code units) as sent, and not only whitespace. The length
 * is that of the text as stored and delivered (it is never trimmed), so padding cannot carry a
 * text past the limit.
 */
export function assertMessageText(text: string, maxLength: number, field = 'text'): void {
  if (text.length > maxLength) {
    throw AppError.validation('text is too long', [
      { field, messages: [`${field} must be at most ${maxLength} characters`] },
    ]);
  }
  if (!NOT_BLANK.test(text)) throw AppError.validation('text is empty', [{ field, messages: [`${field} must not be blank`] }]);
}
