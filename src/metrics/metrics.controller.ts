import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { MetricsApi } from '../auth/rest-access.js';
import { ChatMetrics } from './chat-metrics.js';

@ApiTags('operations')
@ApiProduces('text/plain')
@MetricsApi()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ChatMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    response.send(await this.metrics.registry.metrics());
  }
}
