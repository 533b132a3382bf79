/**
 * `vigil ctl encryption rotate-key`: asks the server to rotate the Secret
 * encryption key (`POST /vigil/v1/encryption/rotate-key`, cluster admins only):
 * a new key is added, every Secret is re-encrypted with it, the old keys are dropped.
 */
import { UsageError } from '../../cmd/cli.js';
import type { CtlContext } from './ctl_context.js';

export async function runEncryption(ctx: CtlContext): Promise<number> {
  const sub = ctx.args.positionals[0] ?? '';
  if (sub !== 'rotate-key') throw new UsageError(`unknown "encryption" subcommand "${sub}": expected rotate-key`);
  const r = await ctx.client.request<{ newKey?: string; droppedKeys?: string[]; rewritten?: number }>('POST', '/vigil/v1/encryption/rotate-key', {});
  ctx.io.log(`encryption key rotated: new key "${r.newKey ?? '?'}", ${r.rewritten ?? 0} secret(s) re-encrypted, dropped ${(r.droppedKeys ?? []).map((k) => `"${k}"`).join(', ') || 'no keys'}`);
  return 0;
}
