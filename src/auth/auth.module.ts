import { Module } from '@nestjs/common';
import { AdminGuard, ReaderGuard } from './rest-auth.guard.js';
import { Authenticator } from './credentials.js';
import { OpenAuthenticator } from './open.authenticator.js';

@Module({
  providers: [{ provide: Authenticator, useClass: OpenAuthenticator }, ReaderGuard, AdminGuard],
  exports: [Authenticator, ReaderGuard, AdminGuard],
})
export class AuthModule {}
