import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Authenticator } from './credentials.js';
import { JwtAuthenticator } from './jwt.authenticator.js';
import { OpenAuthenticator } from './open.authenticator.js';
import { AdminGuard, MetricsGuard, ReaderGuard } from './rest-auth.guard.js';

@Module({
  providers: [
    {
      provide: Authenticator,
      useFactory: (config: AppConfig): Authenticator =>
        config.authMode === 'jwt' ? new JwtAuthenticator(config) : new OpenAuthenticator(config),
      inject: [AppConfig],
    },
    ReaderGuard,
    AdminGuard,
    MetricsGuard,
  ],
  exports: [Authenticator, ReaderGuard, AdminGuard, MetricsGuard],
})
export class AuthModule {}
