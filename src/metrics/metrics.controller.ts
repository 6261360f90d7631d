import { Controller, Get, Header, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiProduces, ApiSecurity, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { RestRateBucket } from '../limits/rest-rate-limit.guard.js';
import { MetricsGuard } from '../auth/rest-auth.guard.js';
import { ErrorSchema } from '../docs/api-schemas.js';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../docs/openapi.js';
import { ChatMetrics } from './chat-metrics.js';

@ApiTags('operations')
@ApiProduces('text/plain')
@ApiSecurity(API_KEY_SCHEME)
@ApiBearerAuth(BEARER_SCHEME)
@ApiUnauthorizedResponse({ type: ErrorSchema, description: 'unless METRICS_PUBLIC: no X-Api-Key or admin token' })
@ApiForbiddenResponse({ type: ErrorSchema, description: 'unless METRICS_PUBLIC: a token without role admin' })
@Controller('metrics')
@RestRateBucket('exempt')
@UseGuards(MetricsGuard)
export class MetricsController {
  constructor(private readonly metrics: ChatMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
