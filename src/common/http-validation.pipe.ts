import { type ArgumentMetadata, Injectable, type Type, ValidationPipe } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AppError } from './app-error.js';
import { type PayloadLimits, withPayloadLimits } from './payload-limits.js';
import { flattenValidationErrors } from './ws-validation.pipe.js';

/** What ValidationPipe itself does not validate as a class. */
const NOT_DTOS = new Set<unknown>([String, Boolean, Number, Array, Object, Buffer, Date]);

/**
 * REST bodies, params and query strings: same rules and error shape as the socket API. Pipes run
 * after the route guards (credentials) and before the handler, so a malformed request is 400
 * before any permission rule of the services (reserved rooms, the token's rooms claim). Nest
 * builds one per module with the app's AppConfig; each DTO is validated as its subclass carrying
 * this app's payload limits (see withPayloadLimits).
 */
@Injectable()
export class HttpValidationPipe extends ValidationPipe {
  private readonly limits: PayloadLimits;
  private readonly boundDtos = new WeakMap<Type, Type>();

  constructor(config: AppConfig) {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) => AppError.validation('request is invalid', flattenValidationErrors(errors)),
    });
    this.limits = config;
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const dto = metadata.metatype;
    if (metadata.type === 'custom' || !dto || NOT_DTOS.has(dto)) return super.transform(value, metadata);
    return super.transform(value, { ...metadata, metatype: this.bound(dto) });
  }

  private bound(dto: Type): Type {
    let bound = this.boundDtos.get(dto);
    if (!bound) {
      bound = withPayloadLimits(dto, this.limits);
      this.boundDtos.set(dto, bound);
    }
    return bound;
  }
}
