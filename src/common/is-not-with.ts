import { Validate, type ValidationArguments, ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';

/** The field may not come together with another field of the same payload (they ask for different things). */
@ValidatorConstraint({ name: 'isNotWith' })
export class NotWithConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    const [other] = args.constraints as [string];
    return (args.object as Record<string, unknown>)[other] === undefined;
  }

  defaultMessage(args: ValidationArguments): string {
    const [other] = args.constraints as [string];
    return `${args.property} cannot be combined with ${other}`;
  }
}

export function IsNotWith(other: string): PropertyDecorator {
  return Validate(NotWithConstraint, [other]);
}
