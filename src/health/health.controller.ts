import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, type HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { OperationsApi } from '../auth/rest-access.js';
import { MessageStore } from '../messages/message-store.js';
import { PresenceStore } from '../presence/presence-store.js';
import { DrainState } from './drain-state.js';

const PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@OperationsApi()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly messages: MessageStore,
    private readonly presence: PresenceStore,
    private readonly drain: DrainState,
  ) {}

  /** Liveness: the process serves HTTP. */
  @Get()
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: the database and the presence store answer and the node is not draining. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.indicators.check('database').attempt(() => this.messages.ping()).withTimeout(PING_TIMEOUT_MS),
      () => this.indicators.check('presence').attempt(() => this.presence.ping()).withTimeout(PING_TIMEOUT_MS),
      () => {
        const node = this.indicators.check('node');
        return this.drain.draining ? node.down({ message: 'draining' }) : node.up();
      },
    ]);
  }
}
