import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import type { ChatClient } from '../common/chat-client.js';
import type { Announcement, TypingEvent, User } from '../contract.js';
import { SYSTEM_USER } from '../auth/user-id.js';
import { RoomRestrictions } from '../moderation/room-restrictions.js';
import { assertJoined } from '../rooms/room-names.js';

/** Rules for the events that are not stored: typing and announcements (the text rule is in the DTOs). */
@Injectable()
export class ChatService {
  constructor(private readonly restrictions: RoomRestrictions) {}

  /** Banned or muted users may not type in the room. */
  typing(client: ChatClient, input: { room: string; typing: boolean }): TypingEvent {
    this.restrictions.assertMayPost(client.data.user.id, input.room);
    assertJoined(client, input.room, 'typing in it');
    return { room: input.room, user: client.data.user, typing: input.typing };
  }

  announce(client: ChatClient, input: { text: string }): Announcement {
    if (!client.data.isAdmin) throw AppError.forbidden('announce needs an admin connection');
    return this.announcement(client.data.user, input.text);
  }

  systemAnnouncement(input: { text: string }): Announcement {
    return this.announcement(SYSTEM_USER, input.text);
  }

  private announcement(from: User, text: string): Announcement {
    return { id: randomUUID(), from, text, sentAt: new Date().toISOString() };
  }
}
