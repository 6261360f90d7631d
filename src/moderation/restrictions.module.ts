import { Global, Module } from '@nestjs/common';
import { RoomRestrictions } from './room-restrictions.js';

/**
 * The in-memory bans and mutes, global so the services that enforce them (rooms, messages,
 * memberships, typing) need no import of the moderation feature, which depends on them.
 */
@Global()
@Module({ providers: [RoomRestrictions], exports: [RoomRestrictions] })
export class RestrictionsModule {}
