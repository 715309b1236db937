// Small file-system helpers shared by the hub, weights and other loaders.
import { promises as fsp } from 'fs';

// True when the path exists (any kind of entry); false on any error, so callers treat "unreadable" as "absent".
export async function pathExists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}
