import { type ArgumentMetadata, Injectable, type PipeTransform, type Type } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import type { FieldError } from '../contract.js';
import { AppError } from './app-error.js';

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
 */
@Injectable()
export class WsValidationPipe implements PipeTransform {
  private readonly allowedKeys = new WeakMap<Type, ReadonlySet<string>>();

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const dto = metadata.metatype;
    if (!dto || PRIMITIVES.has(dto)) return value;
    if (!isPlainObject(value)) {
      throw this.fail('payload must be a JSON object', [{ field: '(payload)', messages: ['payload must be a JSON object'] }]);
    }
    const allowed = this.keysOf(dto);
    const unknown = Object.keys(value).filter((key) => !allowed.has(key));
    if (unknown.length > 0) {
      throw this.fail(
        'payload has unknown properties',
        unknown.map((key) => ({ field: key, messages: [`property ${key} should not exist`] })),
      );
    }
    const instance: object = Object.assign(Object.create(dto.prototype as object) as object, value);
    const errors = validateSync(instance, { forbidUnknownValues: true });
    if (errors.length > 0) throw this.fail('payload is invalid', flattenValidationErrors(errors));
    return instance;
  }

  private keysOf(dto: Type): ReadonlySet<string> {
    let keys = this.allowedKeys.get(dto);
    if (!keys) {
      const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
      keys = new Set(metadatas.map((m) => m.propertyName));
      this.allowedKeys.set(dto, keys);
    }
    return keys;
  }

  private fail(message: string, details: FieldError[]): WsException {
    return new WsException(AppError.validation(message, details).toBody());
  }
}
