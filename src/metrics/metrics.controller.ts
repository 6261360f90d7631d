import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RestRateBucket } from '../limits/rest-rate-limit.guard.js';
import { ChatMetrics } from './chat-metrics.js';

@ApiTags('operations')
@ApiProduces('text/plain')
@Controller('metrics')
@RestRateBucket('exempt')
export class MetricsController {
  constructor(private readonly metrics: ChatMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
