import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { MembershipsModule } from '../memberships/memberships.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { AdminController } from './admin.controller.js';
import { ChatServerSetup } from './chat-server-setup.js';
import { ChatGateway } from './chat.gateway.js';
import { ChatService } from './chat.service.js';
import { DrainService } from './drain.service.js';
import { EmitterModule } from './emitter.module.js';
import { ModerationModule } from '../moderation/moderation.module.js';
import { HandshakeService } from './handshake.service.js';
import { ChatInboundPolicy } from './inbound-event.policy.js';
import { PresenceTracker } from './presence-tracker.js';
import { SessionService } from './session.service.js';

@Module({
  imports: [AuthModule, LimitsModule, EmitterModule, PresenceModule, RoomsModule, MessagesModule, MembershipsModule, ModerationModule],
  controllers: [AdminController],
  providers: [
    ChatGateway,
    ChatServerSetup,
    PresenceTracker,
    ChatService,
    HandshakeService,
    SessionService,
    ChatInboundPolicy,
    DrainService,
  ],
})
export class ChatModule {}
