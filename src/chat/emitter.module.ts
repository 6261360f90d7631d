import { Module } from '@nestjs/common';
import { ChatEmitter } from './chat-emitter.js';

/** The one typed emitter, shared by the chat gateway and the features that emit outside it (moderation). */
@Module({ providers: [ChatEmitter], exports: [ChatEmitter] })
export class EmitterModule {}
