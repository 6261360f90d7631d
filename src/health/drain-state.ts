import { Injectable } from '@nestjs/common';

/** Set once shutdown begins: readiness fails at once so load balancers stop routing here. */
@Injectable()
export class DrainState {
  private drainingSince?: number;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  begin(): void {
    this.drainingSince ??= Date.now();
  }
}
