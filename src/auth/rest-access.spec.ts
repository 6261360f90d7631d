import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { AdminApi, assertRestAccessDeclared, MetricsApi, OperationsApi, OwnerOrAdminApi, ReaderApi, restAccessOf } from './rest-access.js';

@AdminApi()
@Controller('a')
class AdminThings {}

@ReaderApi()
@Controller('r')
class ReaderThings {}

@OwnerOrAdminApi()
@Controller('u')
class OwnerThings {}

@OperationsApi()
@Controller('o')
class OperationsThings {}

@MetricsApi()
@Controller('m')
class MetricsThings {}

@Controller('forgotten')
class ForgottenThings {}

@Controller('also-forgotten')
class AlsoForgotten {}

describe('REST access declarations', () => {
  it('records which access each decorator declares', () => {
    expect([AdminThings, ReaderThings, OperationsThings, MetricsThings, ForgottenThings, OwnerThings].map(restAccessOf)).toEqual([
      'admin',
      'reader',
      'operations',
      'metrics',
      undefined,
      'owner-or-admin',
    ]);
  });

  it('fails start-up naming every controller that declares none, which would have no auth and no rate limit', () => {
    expect(() => assertRestAccessDeclared([AdminThings, ReaderThings, OperationsThings, MetricsThings])).not.toThrow();
    expect(() => assertRestAccessDeclared([AdminThings, ForgottenThings, ReaderThings, AlsoForgotten])).toThrow(
      'REST controllers without AdminApi, OwnerOrAdminApi, ReaderApi, OperationsApi or MetricsApi (src/auth/rest-access.ts): ForgottenThings, AlsoForgotten',
    );
  });
});
