import { type ArgumentMetadata, Injectable, type PipeTransform, type Type } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { AppConfig } from '../config/app-config.js';
import type { FieldError } from '../contract.js';
import { AppError } from './app-error.js';
import { compileValidityCheck, type ValidityCheck } from './compiled-validator.js';
import { type PayloadLimits, withPayloadLimits } from './payload-limits.js';

const PRIMITIVES = new Set<unknown>([String, Boolean, Number, Array, Object]);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/**
 * Validates a socket payload against its DTO class and answers failures as VALIDATION_FAILED
 * through WsException (a plain pipe error would surface as INTERNAL).
 *
 * Keys are checked against the DTO's declared properties before anything is copied, so
 * `__proto__`, `constructor` or a spoofed `from` never reach an object. Payloads are flat JSON
 * values, so copying onto the DTO prototype is all class-transformer would do here.
 * Valid payloads pass a cached check compiled from the same class-validator rules; only a
 * payload that fails it goes through validateSync, which produces the per-field details.
 * Nest builds one pipe per app with that app's AppConfig, and payloads become instances of the
 * DTO carrying its limits (see withPayloadLimits), so config-driven rules hold per app.
 */
interface DtoRules {
  keys: ReadonlySet<string>;
  /** The DTO's prototype with this app's payload limits: what each payload is copied onto. */
  prototype: object;
  isValid?: ValidityCheck;
}

@Injectable()
export class WsValidationPipe implements PipeTransform {
  private readonly rulesByDto = new WeakMap<Type, DtoRules>();
  private readonly limits: PayloadLimits;

  constructor(config: AppConfig) {
    this.limits = config;
  }

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const dto = metadata.metatype;
    if (!dto || PRIMITIVES.has(dto)) return value;
    if (!isPlainObject(value)) {
      throw this.fail('payload must be a JSON object', [{ field: '(payload)', messages: ['payload must be a JSON object'] }]);
    }
    const rules = this.rulesOf(dto);
    const unknown = Object.keys(value).filter((key) => !rules.keys.has(key));
    if (unknown.length > 0) {
      throw this.fail(
        'payload has unknown properties',
        unknown.map((key) => ({ field: key, messages: [`property ${key} should not exist`] })),
      );
    }
    const instance = Object.assign(Object.create(rules.prototype) as object, value) as Record<string, unknown>;
    if (rules.isValid?.(instance)) return instance;
    const errors = validateSync(instance, { forbidUnknownValues: true });
    if (errors.length > 0) throw this.fail('payload is invalid', flattenValidationErrors(errors));
    return instance;
  }

  private rulesOf(dto: Type): DtoRules {
    let rules = this.rulesByDto.get(dto);
    if (!rules) {
      const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
      rules = {
        keys: new Set(metadatas.map((m) => m.propertyName)),
        prototype: withPayloadLimits(dto, this.limits).prototype as object,
        isValid: compileValidityCheck(dto, metadatas),
      };
      this.rulesByDto.set(dto, rules);
    }
    return rules;
  }

  private fail(message: string, details: FieldError[]): WsException {
    return new WsException(AppError.validation(message, details).toBody());
  }
}
