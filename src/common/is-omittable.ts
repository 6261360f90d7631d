import { ValidateIf } from 'class-validator';

/**
 * The field may be left out, but when present its other rules apply. class-validator's
 * IsOptional also waves `null` through; the contract has no nullable field, and a null
 * clientMsgId would otherwise reach the store as a dedup key shared by every such message.
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
