import { describe, expect, it } from '@jest/globals';
import { checkpointWorkerUrl } from './sqlite-checkpointer.js';

// The checkpointer with its worker thread on a WAL file, and the worker found in dist/ when run from
// the TypeScript source: test/persistence/sqlite-checkpointer.int-spec.ts (its project builds dist/).
describe('checkpointWorkerUrl', () => {
  it('loads the compiled worker beside the compiled checkpointer', () => {
    expect(checkpointWorkerUrl('file:///app/dist/database/sqlite-checkpointer.js').href).toBe(
      'file:///app/dist/database/sqlite-checkpoint.worker.js',
    );
  });

  it('says what to do when that build is missing', () => {
    expect(() => checkpointWorkerUrl('file:///nowhere/src/database/sqlite-checkpointer.ts')).toThrow(
      /checkpoint worker is not built .*npm run build/,
    );
  });
});
