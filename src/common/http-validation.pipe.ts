import { Injectable, ValidationPipe } from '@nestjs/common';
import { AppError } from './app-error.js';
import { flattenValidationErrors } from './ws-validation.pipe.js';

/** REST bodies, params and query strings: same rules and error shape as the socket API. */
@Injectable()
export class HttpValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) => AppError.validation('request is invalid', flattenValidationErrors(errors)),
    });
  }
}
