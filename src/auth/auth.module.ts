import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Authenticator } from './credentials.js';
import { JwtAuthenticator } from './jwt.authenticator.js';
import { OpenAuthenticator } from './open.authenticator.js';
import { SessionRevocations } from './session-revocations.js';
import { AdminGuard, MetricsGuard, OwnerOrAdminGuard, ReaderGuard } from './rest-auth.guard.js';

@Module({
  providers: [
    {
      provide: Authenticator,
      useFactory: (config: AppConfig): Authenticator =>
        config.authMode === 'jwt' ? new JwtAuthenticator(config) : new OpenAuthenticator(config),
      inject: [AppConfig],
    },
    SessionRevocations,
    ReaderGuard,
    AdminGuard,
    MetricsGuard,
    OwnerOrAdminGuard,
  ],
  exports: [Authenticator, SessionRevocations, ReaderGuard, AdminGuard, MetricsGuard, OwnerOrAdminGuard],
})
export class AuthModule {}
