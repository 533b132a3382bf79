/**
 * `vigil ctl token create [--ttl 1h]`: creates a bootstrap token (a Secret of type
 * `bootstrap.vigil.dev/token` in `kube-system`, see cluster/pki/bootstrap_token.ts)
 * and prints it, then the command that joins a machine with it:
 *
 *   abcdef.0123456789abcdef
 *   vigil agent --server https://127.0.0.1:9443 --token abcdef.0123456789abcdef --ca-cert-hash sha256:…
 *
 * The CA hash comes from the CA ctl trusts (the admin config's certificate-authority);
 * replace the host in --server with one the new machine can reach (it must be in the
 * certificate: --cluster.tls-san). `vigil ctl token list` shows the tokens (id, time
 * left, expiry, description; never the secret part) and `vigil ctl token delete ID`
 * revokes one.
 */
import { UsageError } from '../../cmd/cli.js';
import { DurationError, parseDuration } from '../../tsdb/duration.js';
import { resolveResourceName } from '../api/resources.js';
import { caCertHash } from '../pki/ca.js';
import type { Secret } from '../api/objects.js';
import { BOOTSTRAP_NAMESPACE, BOOTSTRAP_TOKEN_TYPE, bootstrapTokenSecret, DEFAULT_TOKEN_TTL_MS, generateBootstrapToken } from '../pki/bootstrap_token.js';
import { humanDuration } from './age.js';
import { formatTable } from './table.js';
import { flagString } from './ctl_args.js';
import { type CtlContext, CtlError, pathOf } from './ctl_context.js';

const SECRETS = resolveResourceName('secrets')!;

async function clusterCa(ctx: CtlContext): Promise<string> {
  if (ctx.client.conn.ca !== '') return ctx.client.conn.ca;
  if (!ctx.client.conn.server.startsWith('https://'))
    throw new CtlError(`cannot print --ca-cert-hash: ${ctx.client.conn.server} is not the cluster's TLS address; use the admin config (data/cluster/admin.conf) or --certificate-authority`);
  const info = await ctx.client.request<{ caCert?: unknown }>('GET', '/bootstrap/v1/cluster-info');
  if (typeof info.caCert !== 'string') throw new CtlError('the server did not return its CA');
  return info.caCert;
}

export async function runToken(ctx: CtlContext): Promise<number> {
  const [sub = '', arg] = ctx.args.positionals;
  if (sub === 'delete') {
    if (arg === undefined || !/^[a-z0-9]{6}$/.test(arg.split('.')[0]!)) throw new UsageError('expected a token id: vigil ctl token delete ID');
    const id = arg.split('.')[0]!;
    await ctx.client.request('DELETE', pathOf(SECRETS, BOOTSTRAP_NAMESPACE, `bootstrap-token-${id}`));
    ctx.io.log(`bootstrap token "${id}" deleted`);
    return 0;
  }
  if (sub === 'list') {
    const list = await ctx.client.list<Secret>(pathOf(SECRETS, BOOTSTRAP_NAMESPACE), { fieldSelector: `type=${BOOTSTRAP_TOKEN_TYPE}` });
    const text = (s: Secret, k: string) => Buffer.from(s.data?.[k] ?? '', 'base64').toString('utf8');
    const rows = list.items.map((s) => {
      const exp = Date.parse(text(s, 'expiration'));
      const left = exp - ctx.now();
      return [text(s, 'token-id'), Number.isFinite(exp) ? (left > 0 ? humanDuration(left) : '<expired>') : '<invalid>', text(s, 'expiration'), text(s, 'description')];
    });
    if (rows.length === 0) ctx.io.log('No bootstrap tokens.');
    else for (const line of formatTable([['TOKEN-ID', 'TTL', 'EXPIRES', 'DESCRIPTION'], ...rows])) ctx.io.log(line);
    return 0;
  }
  if (sub !== 'create') throw new UsageError(`unknown "token" subcommand "${sub}": expected create, list or delete`);
  let ttl = DEFAULT_TOKEN_TTL_MS;
  const ttlText = flagString(ctx.args, 'ttl');
  if (ttlText !== '') {
    try {
      ttl = parseDuration(ttlText);
    } catch (e) {
      if (e instanceof DurationError) throw new UsageError(`flag --ttl: ${e.message}`);
      throw e;
    }
    if (ttl <= 0) throw new UsageError(`flag --ttl must be greater than 0, got "${ttlText}"`);
  }
  const hash = caCertHash(await clusterCa(ctx));
  const token = generateBootstrapToken();
  await ctx.client.request('POST', pathOf(SECRETS, BOOTSTRAP_NAMESPACE), bootstrapTokenSecret(token, ctx.now() + ttl, 'created by vigil ctl token create'));
  ctx.io.log(token);
  ctx.io.log(`vigil agent --server ${ctx.client.conn.server} --token ${token} --ca-cert-hash ${hash}`);
  return 0;
}
