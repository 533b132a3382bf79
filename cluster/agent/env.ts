/**
 * A container's environment, in Kubernetes' order of precedence (later wins):
 * Service variables of the pod's namespace (`<NAME>_SERVICE_HOST`,
 * `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>`), the allocated
 * ports (`PORT`, `PORT_<NAME>`), then the container's `env` list (literal
 * values and `valueFrom` ConfigMap/Secret keys). With a service account token,
 * `VIGIL_SERVICEACCOUNT_TOKEN_FILE` names its file (before the container's own
 * `env`, which may override it). The agent's own environment
 * is not inherited except PATH, HOME, LANG and TZ, so pods do not see the
 * agent's settings.
 */
import type { ConfigMap, Container, EnvVar, Secret, Service } from '../api/objects.js';
import { portEnvName } from './ports.js';

/** A pod cannot start because its configuration refers to something missing (Kubernetes' CreateContainerConfigError). */
export class PodConfigError extends Error {
  readonly code = 'pod_config';
  readonly reason = 'CreateContainerConfigError';
  constructor(message: string) {
    super(message);
    this.name = 'PodConfigError';
  }
}

/** The objects a pod's env and volumes refer to, fetched by the agent before the pod starts. */
export interface PodInputs {
  configMaps: ReadonlyMap<string, ConfigMap>;
  secrets: ReadonlyMap<string, Secret>;
  /** Services of the pod's namespace. */
  services: readonly Service[];
  /** Where Service proxies listen (the `_SERVICE_HOST` value). */
  serviceHost: string;
  /** The pod's service account token (bound to the pod), written to `serviceAccountTokenFile`. */
  serviceAccountToken?: string;
  /** Absolute path of the token file in the pod directory (pod_dir.ts `serviceAccountTokenPath`). */
  serviceAccountTokenFile?: string;
}

/** The environment variable naming the service account token file. */
export const SERVICE_ACCOUNT_TOKEN_ENV = 'VIGIL_SERVICEACCOUNT_TOKEN_FILE';

/** `my-svc` → `MY_SVC`. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The Service variables of a namespace. */
export function serviceEnv(services: readonly Service[], host: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of services) {
    const first = s.spec.ports[0];
    if (first === undefined) continue;
    const p = envPrefix(s.metadata.name);
    env[`${p}_SERVICE_HOST`] = host;
    env[`${p}_SERVICE_PORT`] = String(first.port);
    for (const port of s.spec.ports) if (port.name) env[`${p}_SERVICE_PORT_${envPrefix(port.name)}`] = String(port.port);
  }
  return env;
}

function decodeSecret(v: string): string {
  return Buffer.from(v, 'base64').toString('utf8');
}

function envValue(v: EnvVar, inputs: PodInputs, where: string): string | undefined {
  if (v.value !== undefined) return v.value;
  const cm = v.valueFrom?.configMapKeyRef;
  if (cm !== undefined) {
    const obj = inputs.configMaps.get(cm.name);
    const val = obj?.data?.[cm.key];
    if (val === undefined && cm.optional !== true)
      throw new PodConfigError(`${where}: ${obj === undefined ? `configmap "${cm.name}" not found` : `key "${cm.key}" not found in configmap "${cm.name}"`}`);
    return val;
  }
  const sk = v.valueFrom?.secretKeyRef;
  if (sk !== undefined) {
    const obj = inputs.secrets.get(sk.name);
    const val = obj?.data?.[sk.key];
    if (val === undefined && sk.optional !== true)
      throw new PodConfigError(`${where}: ${obj === undefined ? `secret "${sk.name}" not found` : `key "${sk.key}" not found in secret "${sk.name}"`}`);
    return val === undefined ? undefined : decodeSecret(val);
  }
  return '';
}

/**
 * The environment of `container`. `ports` maps each of its ports (by index) to the host port
 * it listens on. Throws PodConfigError for a missing non-optional ConfigMap/Secret key.
 */
export function containerEnv(container: Container, ports: readonly number[], inputs: PodInputs, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TZ']) {
    const v = base[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, serviceEnv(inputs.services, inputs.serviceHost));
  const specPorts = container.ports ?? [];
  if (ports[0] !== undefined) env.PORT = String(ports[0]);
  specPorts.forEach((p, i) => {
    const hp = ports[i];
    if (p.name && hp !== undefined) env[portEnvName(p.name)] = String(hp);
  });
  if (inputs.serviceAccountToken !== undefined && inputs.serviceAccountTokenFile !== undefined) env[SERVICE_ACCOUNT_TOKEN_ENV] = inputs.serviceAccountTokenFile;
  for (const v of container.env ?? []) {
    const val = envValue(v, inputs, `container "${container.name}" env ${v.name}`);
    if (val !== undefined) env[v.name] = val;
  }
  return env;
}
