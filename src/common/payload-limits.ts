import type { Type } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';

/** The configuration that payload rules depend on (a DTO rule reads it with payloadLimitsOf). */
export type PayloadLimits = Pick<AppConfig, 'maxMessageLength'>;

const LIMITS = Symbol('payload limits');

interface CarriesLimits {
  readonly [LIMITS]?: PayloadLimits;
}

/**
 * How a config-driven DTO rule learns its limit: the validation pipes (built by Nest once per
 * app, with that app's AppConfig injected) validate every payload as an instance of a subclass of
 * its DTO whose prototype carries the app's limits, and a constraint reads them from the object
 * it validates (ValidationArguments.object).
 *
 * Not class-validator's useContainer(): that container is one per process, so two apps with
 * different MAX_MESSAGE_LENGTH in one process (tests, a benchmark) would share whichever limit
 * was registered last. Nor a module-level variable, for the same reason. The prototype costs
 * nothing per payload: instances were already created from a prototype, only which one changed,
 * so the compiled validity check (which calls the constraint with the instance as `object`)
 * allocates nothing more. A subclass rather than a bare prototype object because class-transformer
 * builds REST bodies with `new`; class-validator and class-transformer both follow the rules of a
 * class's ancestors, so the subclass is validated and transformed exactly as the DTO.
 */
export function withPayloadLimits<T>(dto: Type<T>, limits: PayloadLimits): Type<T> {
  const bound = class extends (dto as Type<object>) {};
  Object.defineProperty(bound, 'name', { value: dto.name });
  Object.defineProperty(bound.prototype, LIMITS, { value: limits });
  return bound as Type<T>;
}

/** The limits of the app whose pipe is validating `object`. */
export function payloadLimitsOf(object: object): PayloadLimits {
  const limits = (object as CarriesLimits)[LIMITS];
  // Only a DTO validated some other way than through WsValidationPipe or HttpValidationPipe lacks them.
  if (!limits) throw new Error(`${object.constructor.name} was validated without payload limits (use the validation pipes)`);
  return limits;
}
