import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  Max,
  Min,
  Validate,
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { IsOmittable } from '../../common/is-omittable.js';
import { MAX_RESTRICTION_SECONDS } from './restriction.dto.js';

/** Open mode: how long ?revoke=true blocks the username when `seconds` is not given. */
export const DEFAULT_BLOCK_SECONDS = 300;

/** `seconds` says how long a revocation blocks: without revoke=true it would silently do nothing. */
@ValidatorConstraint({ name: 'needsRevoke' })
class NeedsRevokeConstraint implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return (args.object as UserDisconnectQuery).revoke === 'true';
  }

  defaultMessage(): string {
    return 'seconds needs revoke=true';
  }
}

/** `?revoke=&seconds=` of DELETE /users/:id/connections. */
export class UserDisconnectQuery {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description:
      'true: also revoke the sessions. JWT mode: tokens issued up to now (iat in whole seconds, so also within this second) are refused until a newer one is presented; open mode: the username is blocked for `seconds`',
  })
  @IsOmittable()
  @IsIn(['true', 'false'])
  revoke?: 'true' | 'false';

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_RESTRICTION_SECONDS,
    default: DEFAULT_BLOCK_SECONDS,
    description: 'open mode, with revoke=true: how long handshakes under this username are refused (no effect in JWT mode)',
  })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_RESTRICTION_SECONDS)
  @Validate(NeedsRevokeConstraint)
  seconds?: number;
}
