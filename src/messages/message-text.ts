import { Validate, type ValidationArguments, ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';
import { payloadLimitsOf } from '../common/payload-limits.js';

/** Any character that String.prototype.trim would keep (\s and trim share one definition). */
const NOT_BLANK = /\S/;

/**
 * text: 1..MAX_MESSAGE_LENGTH characters (UTF-16 code units) as sent, and not only whitespace.
 * The length is that of the text as stored and delivered (it is never trimmed), so padding cannot
 * carry a text past the limit. A value that is not a string passes here: @IsString reports it.
 */
@ValidatorConstraint({ name: 'isMessageText' })
export class MessageTextConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    if (typeof value !== 'string') return true;
    return value.length <= payloadLimitsOf(args.object).maxMessageLength && NOT_BLANK.test(value);
  }

  defaultMessage(args: ValidationArguments): string {
    const maxLength = payloadLimitsOf(args.object).maxMessageLength;
    const tooLong = typeof args.value === 'string' && args.value.length > maxLength;
    return tooLong ? `${args.property} must be at most ${maxLength} characters` : `${args.property} must not be blank`;
  }
}

/** The text rule of messages, direct messages and announcements, with the app's MAX_MESSAGE_LENGTH. */
export function IsMessageText(): PropertyDecorator {
  return Validate(MessageTextConstraint);
}
