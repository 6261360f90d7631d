import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Authenticator } from './credentials.js';
import { JwtAuthenticator } from './jwt.authenticator.js';
import { OpenAuthenticator } from './open.authenticator.js';
import { RevocationCheckingAuthenticator } from './revocation-checking.authenticator.js';
import { SessionRevocations } from './session-revocations.js';
import { AdminGuard, MetricsGuard, OwnerOrAdminGuard, ReaderGuard } from './rest-auth.guard.js';

/** The AUTH_MODE's own authenticator, which only the revocation check wraps (its own lifecycle hooks still run). */
const MODE_AUTHENTICATOR = Symbol('MODE_AUTHENTICATOR');

@Module({
  providers: [
    {
      provide: MODE_AUTHENTICATOR,
      useFactory: (config: AppConfig): Authenticator =>
        config.authMode === 'jwt' ? new JwtAuthenticator(config) : new OpenAuthenticator(config),
      inject: [AppConfig],
    },
    SessionRevocations,
    {
      provide: RevocationCheckingAuthenticator,
      useFactory: (inner: Authenticator, revocations: SessionRevocations, config: AppConfig) =>
        new RevocationCheckingAuthenticator(inner, revocations, config.authMode),
      inject: [MODE_AUTHENTICATOR, SessionRevocations, AppConfig],
    },
    { provide: Authenticator, useExisting: RevocationCheckingAuthenticator },
    ReaderGuard,
    AdminGuard,
    MetricsGuard,
    OwnerOrAdminGuard,
  ],
  exports: [Authenticator, RevocationCheckingAuthenticator, SessionRevocations, ReaderGuard, AdminGuard, MetricsGuard, OwnerOrAdminGuard],
})
export class AuthModule {}
