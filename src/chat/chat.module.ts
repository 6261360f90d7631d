import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminController } from './admin.controller.js';
import { ChatGateway } from './chat.gateway.js';
import { ChatService } from './chat.service.js';
import { HandshakeService } from './handshake.service.js';

@Module({
  imports: [AuthModule, UsersModule, RoomsModule, MessagesModule],
  controllers: [AdminController],
  providers: [ChatGateway, ChatService, HandshakeService],
})
export class ChatModule {}
