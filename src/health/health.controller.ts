import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, type HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { OperationsApi } from '../auth/rest-access.js';
import { MESSAGE_STORE_ENGINE, type MessageStore } from '../messages/message-store.js';
import { PRESENCE_STORE_ENGINE, type PresenceStore } from '../presence/presence-store.js';
import { DrainState } from './drain-state.js';

const PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@OperationsApi()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    // The engines themselves: a failed probe is this endpoint's answer, not a failed client call to log.
    @Inject(MESSAGE_STORE_ENGINE) private readonly messages: MessageStore,
    @Inject(PRESENCE_STORE_ENGINE) private readonly presence: PresenceStore,
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
      () =>
        this.indicators
          .check('database')
          .attempt(() => this.messages.ping())
          .withTimeout(PING_TIMEOUT_MS),
      () =>
        this.indicators
          .check('presence')
          .attempt(() => this.presence.ping())
          .withTimeout(PING_TIMEOUT_MS),
      () => {
        const node = this.indicators.check('node');
        return this.drain.draining ? node.down({ message: 'draining' }) : node.up();
      },
    ]);
  }
}
