import { describePresenceStoreContract } from '../../test/support/presence-store.contract.js';
import { MemoryPresenceStore } from './memory-presence.store.js';

describePresenceStoreContract('memory', async () => ({ store: new MemoryPresenceStore(), dispose: async () => undefined }));
