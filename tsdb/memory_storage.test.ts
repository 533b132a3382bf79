import { MemoryStorage } from './memory_storage.js';
import { runStorageConformance } from './storage_conformance.js';

runStorageConformance('memory', async () => {
  const storage = new MemoryStorage();
  return { storage, cleanup: () => storage.close() };
});
