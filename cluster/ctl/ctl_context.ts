/**
 * What every `vigil ctl` verb works with: the API client, the effective
 * namespace, output channels, the clock and a stop signal (tests inject the
 * last two), plus resource resolution and object paths.
 */
import { readFileSync } from 'node:fs';
import type { CommandIo } from '../../cmd/cli.js';
import { objectPath } from '../api/http.js';
import { resolveResourceName, type ResourceInfo } from '../api/resources.js';
import type { CtlArgs } from './ctl_args.js';
import type { CtlClient } from './ctl_client.js';

/** A mistake the user can fix that is not a command-line syntax error (kubectl's `error: …`, exit code 1). */
export class CtlError extends Error {
  readonly code = 'ctl';
  constructor(message: string) {
    super(message);
    this.name = 'CtlError';
  }
}

export interface CtlContext {
  readonly client: CtlClient;
  readonly args: CtlArgs;
  /** `-n` / config file / `default`. */
  readonly namespace: string;
  /** Whether `-n` was given explicitly (a manifest's own namespace must then agree). */
  readonly namespaceExplicit: boolean;
  readonly allNamespaces: boolean;
  readonly io: CommandIo;
  /** Wall clock in ms (AGE columns, timeouts). */
  now(): number;
  /** Aborted to stop watches, follows and waits. */
  readonly signal: AbortSignal;
  /** Waits `ms` unless the signal aborts first. */
  sleep(ms: number): Promise<void>;
  /** Reads a manifest path; `-` is standard input. */
  readFile(path: string): string;
}

/** Resolves `po`, `pods`, `deployment.apps`, `Deployment` … or fails like kubectl. */
export function resolveKind(word: string): ResourceInfo {
  const info = resolveResourceName(word);
  if (info === undefined) throw new CtlError(`the server doesn't have a resource type "${word}"`);
  return info;
}

/** Splits `deployment/web` into kind and name; a bare word returns `name` ''. */
export function splitKindName(word: string): { kind: string; name: string } {
  const i = word.indexOf('/');
  return i < 0 ? { kind: word, name: '' } : { kind: word.slice(0, i), name: word.slice(i + 1) };
}

/** The namespace a request for `info` goes to: '' for cluster-scoped kinds. */
export function nsFor(ctx: CtlContext, info: ResourceInfo, override?: string): string {
  if (!info.namespaced) return '';
  return override !== undefined && override !== '' ? override : ctx.namespace;
}

/** URL path of an object or collection. */
export function pathOf(info: ResourceInfo, namespace: string, name = ''): string {
  return objectPath(info, namespace, name);
}

/** Default file reader (`-` = stdin). */
export function readManifestFile(path: string): string {
  return readFileSync(path === '-' ? 0 : path, 'utf8');
}
